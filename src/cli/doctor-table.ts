import type { ProbeCheck } from '../sandboxes/types.ts';

/** One backend's row as `doctor` reports it (the --json shape). */
export interface BackendReport {
  backend: string;
  available: boolean;
  version?: string;
  reason?: string;
  fix?: string;
  checks?: ProbeCheck[];
}

const WIDTHS = { backend: 9, status: 11, version: 20, missing: 44 } as const;

/**
 * The human `doctor` report: a table (backend | status | version | what is missing | fix command) with
 * long cells wrapped, then every probe check, then what `--profile auto` picks. Pure.
 */
export function renderDoctorTable(
  reports: readonly BackendReport[],
  auto: string | undefined,
  runtime: { node: string; platform: string },
): string {
  const head = ['BACKEND', 'STATUS', 'VERSION', 'WHAT IS MISSING', 'FIX'];
  const rows = reports.map((r) => {
    const failed = (r.checks ?? []).filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    const missing = r.available ? failed.join('; ') : [r.reason ?? 'unavailable', ...failed].join('; ');
    const status = r.available ? (failed.length > 0 ? 'ok (partly)' : 'ok') : 'unavailable';
    return [
      r.backend,
      status,
      r.version ?? '-',
      missing || '-',
      r.fix && (!r.available || failed.length > 0) ? r.fix : '-',
    ];
  });
  const widths = [WIDTHS.backend, WIDTHS.status, WIDTHS.version, WIDTHS.missing];
  const lines = [`mcp-warden doctor — node ${runtime.node} on ${runtime.platform}`, ''];
  lines.push(...formatRow(head, widths));
  lines.push(`  ${widths.map((w) => '─'.repeat(w)).join('  ')}  ${'─'.repeat(20)}`);
  for (const row of rows) lines.push(...formatRow(row, widths));
  const checked = reports.filter((r) => (r.checks ?? []).length > 0);
  if (checked.length > 0) {
    lines.push('', 'Checks:');
    for (const r of checked) {
      for (const c of r.checks ?? [])
        lines.push(`  ${r.backend.padEnd(WIDTHS.backend)} ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`);
    }
  }
  lines.push(
    '',
    auto ? `--profile auto picks: ${auto}` : '--profile auto: no isolating backend is available here',
  );
  return lines.join('\n');
}

/** One row; cells wider than their column wrap onto continuation lines. The last cell is never cut. */
function formatRow(cells: readonly string[], widths: readonly number[]): string[] {
  const wrapped = cells.map((cell, i) => (i < widths.length ? wrap(cell, widths[i] ?? 10) : [cell]));
  const height = Math.max(...wrapped.map((w) => w.length));
  const out: string[] = [];
  for (let line = 0; line < height; line++) {
    const parts = wrapped.map((w, i) =>
      i < widths.length ? (w[line] ?? '').padEnd(widths[i] ?? 0) : (w[line] ?? ''),
    );
    out.push(`  ${parts.join('  ')}`.trimEnd());
  }
  return out;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (current === '') current = word;
    else if (current.length + 1 + word.length <= width) current += ` ${word}`;
    else {
      lines.push(current);
      current = word;
    }
    while (current.length > width) {
      lines.push(current.slice(0, width));
      current = current.slice(width);
    }
  }
  if (current !== '' || lines.length === 0) lines.push(current);
  return lines;
}
