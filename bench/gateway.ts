// npm run bench (gateway part) — the gateway under load on loopback: N concurrent Streamable HTTP
// sessions (each its own sandbox), M tools/call each against the conformance fixture. Reports per-call
// p50/p99, session start (initialize, sandbox launch included) p50/p99 and throughput, and checks that
// no call failed and no sandbox outlived its session. Writes bench/gateway-results.md.
// Options: --sessions N (default 50), --calls M (default 20), --profile bwrap|none (default bwrap when
// bubblewrap works, else none), --entry FILE (default dist/cli/main.js, built by npm run bench).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { quantile, runLoad } from '../tests/integration/gateway/load-driver.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '50' },
    calls: { type: 'string', default: '20' },
    profile: { type: 'string' },
    entry: { type: 'string', default: path.join(REPO, 'dist/cli/main.js') },
  },
});
const SESSIONS = Number(values.sessions);
const CALLS = Number(values.calls);
const profile = values.profile ?? (hasBwrap() ? 'bwrap' : 'none');
const marker = `leaktag-bench-${randomBytes(4).toString('hex')}`;

const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-bench-gateway-'));
const config = path.join(dir, 'gateway.json');
writeFileSync(
  config,
  JSON.stringify({
    listen: { host: '127.0.0.1', port: 0 },
    servers: {
      conf: { profile, command: ['node', path.join(REPO, 'tests/fixtures/conformance-server.mjs'), marker] },
    },
    limits: { maxSessions: SESSIONS, ratePerMinute: 1_000_000 },
  }),
);
const child = spawn(process.execPath, [values.entry, 'gateway', '--config', config], {
  env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let stderr = '';
const base = await new Promise<string>((resolve, reject) => {
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    const match = /gateway listening on (http:\/\/\S+)/.exec(stderr);
    if (match?.[1]) resolve(match[1]);
  });
  child.once('exit', (code) => reject(new Error(`gateway exited ${code}:\n${stderr}`)));
});

process.stderr.write(
  `gateway bench: 1 session x 200 calls, then ${SESSIONS} sessions x ${CALLS} calls on ${profile}...\n`,
);
const single = await runLoad(`${base}/servers/conf/mcp`, 1, 200);
const result = await runLoad(`${base}/servers/conf/mcp`, SESSIONS, CALLS);
await new Promise((resolve) => setTimeout(resolve, 1000));
const leaked = ourProcesses();
const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
child.kill('SIGTERM');
const exitCode = await exited;
rmSync(dir, { recursive: true, force: true });

const ms = (v: number): string => v.toFixed(1);
const rows = [
  ['one session alone: call latency p50', `${ms(quantile(single.latencies, 0.5))} ms`],
  ['one session alone: call latency p99', `${ms(quantile(single.latencies, 0.99))} ms`],
  ['one session alone: session start', `${ms(quantile(single.connects, 0.5))} ms`],
  ['sessions (concurrent)', String(SESSIONS)],
  ['tools/call per session', String(CALLS)],
  ['calls completed', `${result.calls} / ${SESSIONS * CALLS}`],
  ['errors', String(result.errors.length + single.errors.length)],
  ['call latency p50', `${ms(quantile(result.latencies, 0.5))} ms`],
  ['call latency p99', `${ms(quantile(result.latencies, 0.99))} ms`],
  ['session start p50 (initialize, sandbox launch)', `${ms(quantile(result.connects, 0.5))} ms`],
  ['session start p99', `${ms(quantile(result.connects, 0.99))} ms`],
  ['wall time', `${ms(result.wallMs)} ms`],
  ['calls per second (all sessions open)', (result.calls / (result.callPhaseMs / 1000)).toFixed(0)],
  ['sandboxes left after the sessions ended', String(leaked.length)],
  ['gateway exit status after SIGTERM', String(exitCode)],
];
const table = [
  `## Gateway (${profile}, loopback, ${os.cpus().length} CPUs, node ${process.version})`,
  '',
  ...markdownTable(['measure', 'value'], rows),
  '',
].join('\n');
writeFileSync(path.join(REPO, 'bench/gateway-results.md'), table);
process.stdout.write(`${table}\n`);
const errors = [...single.errors, ...result.errors];
if (errors.length > 0) process.stderr.write(`errors:\n  ${errors.slice(0, 10).join('\n  ')}\n`);
if (errors.length > 0 || leaked.length > 0 || exitCode !== 0) process.exitCode = 1;

function hasBwrap(): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => {
    try {
      accessSync(path.join(d, 'bwrap'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function ourProcesses(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A Markdown table laid out the way prettier formats one (so the results file passes lint). */
function markdownTable(header: string[], body: string[][]): string[] {
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
}
