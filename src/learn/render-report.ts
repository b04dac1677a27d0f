import type { LearnReport, ReportEntry } from './learn-profile.ts';

/** Markdown of the companion report (PROFILE.report.md): each generated setting and why, then "would need". */
export function renderReport(report: LearnReport, profileFile: string): string {
  const lines = [
    `# Learned profile: ${report.name}`,
    '',
    `- profile: \`${profileFile}\``,
    `- server: \`${report.command.join(' ')}\``,
    `- backend: ${report.backend}`,
    `- observed: ${report.counts.requests} requests (${report.counts.toolCalls} tool calls, ${report.counts.denied} denied), ${report.counts.connections} network connections`,
    '',
    '## Granted (each setting and the calls or connections that needed it)',
    '',
    ...entries(report.granted, 'nothing'),
    '',
    '## Would need (blocked while learning; not granted)',
    '',
    ...entries(report.wouldNeed, 'nothing was blocked'),
    '',
    '## Notes',
    '',
    ...(report.notes.length === 0 ? ['- none'] : report.notes.map((note) => `- ${note}`)),
    '',
    'Review every line before enforcing: mcp-warden explain --profile FILE -- COMMAND shows the sandbox it gives.',
    '',
  ];
  return lines.join('\n');
}

function entries(list: readonly ReportEntry[], empty: string): string[] {
  if (list.length === 0) return [`- ${empty}`];
  return list.flatMap((entry) => [
    `- \`${entry.setting}\`: \`${code(entry.value)}\``,
    ...entry.because.map((why) => `  - ${code(why)}`),
  ]);
}

/** Keep a value on one line and out of Markdown's way (backticks, control characters). */
function code(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f`]/g, '?');
}
