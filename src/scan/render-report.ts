import { sanitizeReason } from '../protocol/wire-errors.ts';
import type { ScanReport } from './scan-report.ts';
import type { Finding } from './review-definition.ts';

/** What happened to the lock file in this scan, for the report. */
export type LockOutcome = 'created' | 'updated' | 'unchanged' | 'mismatch' | 'not-written';

/** The human report of `scan`: counts, a findings table, the lock outcome and the verdict line. */
export function renderScanReport(
  report: ScanReport,
  options: {
    command: readonly string[];
    lockFile: string;
    lockOutcome: LockOutcome;
    failing: number;
    failOn: string;
  },
): string {
  const { counts } = report;
  const lines = [
    `mcp-warden scan — ${options.command.join(' ')}`,
    `  ${counts.tools} tools, ${counts.prompts} prompts, ${counts.resources} resources, ${counts.resourceTemplates} resource templates`,
    '',
  ];
  if (report.findings.length === 0) lines.push('  no findings');
  else lines.push(...table(report.findings));
  const lockLine: Record<LockOutcome, string> = {
    created: `lock: created ${options.lockFile}`,
    updated: `lock: updated ${options.lockFile} (definitions re-approved)`,
    unchanged: `lock: ${options.lockFile} matches`,
    mismatch: `lock: ${options.lockFile} differs; run mcp-warden scan --update to approve the new definitions`,
    'not-written': `lock: not written (findings at or above ${options.failOn}; use --update to approve anyway)`,
  };
  lines.push('', lockLine[options.lockOutcome]);
  lines.push(
    options.failing > 0
      ? `FAIL: ${options.failing} finding(s) at or above ${options.failOn}`
      : `PASS: no findings at or above ${options.failOn}`,
  );
  return lines.join('\n');
}

function table(findings: readonly Finding[]): string[] {
  const rows = findings.map((f) => [f.severity, f.kind, f.name, f.detector, f.where]);
  const head = ['SEVERITY', 'KIND', 'NAME', 'DETECTOR', 'WHERE'];
  const widths = head.map((h, i) =>
    Math.min(40, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))),
  );
  const fmt = (cells: string[]): string =>
    `  ${cells.map((c, i) => sanitizeReason(c, 40).padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
  const out = [fmt(head)];
  findings.forEach((f, i) => {
    out.push(fmt(rows[i] ?? []));
    out.push(`      ${f.message}${f.excerpt ? `: ${f.excerpt}` : ''}`);
  });
  return out;
}
