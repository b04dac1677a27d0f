// npm run bench (gateway part) — the gateway under load on loopback, one gateway or several replicas
// behind nginx round robin (issue 17). Phases, all against the conformance fixture:
//   1. one session alone, 200 tools/call: the uncontended cost;
//   2. N concurrent Streamable HTTP sessions (each its own sandbox), M tools/call each; with every
//      session still open after its calls, memory is read from /proc: the gateways' RSS over their
//      baseline and the RSS and PSS of every process below them (the sandboxes); then every session is
//      DELETEd and no sandbox may survive;
//   3. vanishing clients: V more clients open sessions and are SIGKILLed without DELETE — a third with
//      the initialize POST sent and unanswered (the sandbox still launching), a third after initialize
//      without notifications/initialized, a third after the whole handshake with the GET stream open.
//      The gateways run with limits.unusedSessionTtlMs = TTL, and within TTL + margin no sandbox may
//      be left (server processes counted by a marker in their command line).
// Writes (or replaces) this configuration's section in bench/gateway-results.md; exit status 1 on any
// error, leftover sandbox or unclean gateway exit.
// Options: --sessions N (default 50), --calls M (default 20), --replicas R (default 1; above 1: R
// gateways sharing a cluster key behind nginx, which must be installed), --vanish V (default N/4),
// --unused-ttl-ms MS (default 60000, the gateway's default: with 5000 and 20000, legitimate sessions of
// a CPU-starved client lost the race between the initialize answer and their notifications/initialized
// and got 404; the TTL bounds abandoned sessions and must exceed the slowest real handshake),
// --profile bwrap|none (default bwrap when bubblewrap works, else none), --entry FILE (default dist/cli/main.js, built by npm run bench; src/cli/main.ts runs the
// sources with Node's type stripping).
//   npm run build && node bench/gateway.ts --sessions 200 --replicas 3
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { metricValue } from '../tests/helpers/metric-value.ts';
import { type LoadResult, quantile, runLoad } from '../tests/integration/gateway/load-driver.ts';
import { freePort, type Lb, startNginx } from '../tests/helpers/nginx-lb.ts';
import { type GatewayProcess, startGatewayProcess } from './lib/gateway-process.ts';
import { cpuSeconds, descendants, loadAverage, processesWith, pssKib, rssKib } from './lib/proc-stats.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '50' },
    calls: { type: 'string', default: '20' },
    replicas: { type: 'string', default: '1' },
    vanish: { type: 'string' },
    'unused-ttl-ms': { type: 'string', default: '60000' },
    profile: { type: 'string' },
    entry: { type: 'string', default: path.join(REPO, 'dist/cli/main.js') },
  },
});
const SESSIONS = Number(values.sessions);
const CALLS = Number(values.calls);
const REPLICAS = Number(values.replicas);
const VANISH = Number(values.vanish ?? Math.ceil(SESSIONS / 4));
const TTL = Number(values['unused-ttl-ms']);
/** How long after TTL the vanished clients' sandboxes may take to stop (graceful ladder, 2 loaded CPUs). */
const MARGIN_MS = 15_000;
const profile = values.profile ?? (hasBwrap() ? 'bwrap' : 'none');
const marker = `leaktag-bench-${randomBytes(4).toString('hex')}`;
for (const [name, n] of Object.entries({ SESSIONS, CALLS, REPLICAS, VANISH, TTL })) {
  if (!Number.isInteger(n) || n < (name === 'VANISH' ? 0 : 1)) {
    process.stderr.write(`bench/gateway.ts: ${name.toLowerCase()} must be a positive whole number\n`);
    process.exit(2);
  }
}
const command = `node bench/gateway.ts ${process.argv.slice(2).join(' ')}`.trim();

// Limits raised for the bench (defaults: maxSessions 64, maxConnections 1024, ratePerMinute 600,
// unusedSessionTtlMs 60 000): every replica can hold every session (round robin does not spread
// session owners evenly), all clients are one address (one rate bucket), and the TTL is short so the
// vanishing phase ends in seconds.
const limits = {
  maxSessions: SESSIONS + VANISH,
  maxConnections: 4096,
  ratePerMinute: 1_000_000,
  unusedSessionTtlMs: TTL,
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-bench-gateway-'));
const loadBefore = loadAverage();
const gateways: GatewayProcess[] = [];
let lb: Lb | undefined;
try {
  const ports = REPLICAS === 1 ? [0] : await Promise.all(Array.from({ length: REPLICAS }, freePort));
  const origins = ports.map((p) => `http://127.0.0.1:${p}`);
  if (REPLICAS > 1) writeFileSync(path.join(dir, 'cluster.key'), randomBytes(48).toString('base64'));
  gateways.push(
    ...(await Promise.all(
      ports.map((port, i) =>
        startGatewayProcess(
          values.entry,
          {
            listen: { host: '127.0.0.1', port },
            servers: {
              conf: {
                profile,
                command: ['node', path.join(REPO, 'tests/fixtures/conformance-server.mjs'), marker],
              },
            },
            limits,
            ...(REPLICAS > 1 && {
              cluster: { self: origins[i], peers: origins, keyFile: path.join(dir, 'cluster.key') },
            }),
          },
          dir,
          `gateway-${i}`,
        ),
      ),
    )),
  );
  if (REPLICAS > 1) {
    mkdirSync(path.join(dir, 'nginx'));
    // Each proxied request holds two connections (client and upstream); every session holds a GET
    // stream and a POST at a time.
    lb = await startNginx(origins, path.join(dir, 'nginx'), {
      workerConnections: 8 * (SESSIONS + VANISH) + 512,
    });
  }
  const url = `${lb?.url ?? gateways[0]!.base}/servers/conf/mcp`;
  const where = REPLICAS === 1 ? 'one gateway' : `${REPLICAS} replicas behind nginx round robin`;
  process.stderr.write(
    `gateway bench (${where}, ${profile}): 1 session x 200 calls, ${SESSIONS} sessions x ${CALLS} calls, ` +
      `${VANISH} vanishing clients (TTL ${TTL} ms); load ${loadBefore}...\n`,
  );

  const single = await runLoad(url, 1, 200);
  await sleep(2000);
  const idleKib = sum(gateways.map((g) => rssKib(g.pid)));
  let memory: Memory | undefined;
  const result = await runLoad(
    url,
    SESSIONS,
    CALLS,
    {},
    { afterCalls: async () => void (memory = await measure()) },
  );
  const leftAfterDelete = await settleTo0(10_000);
  const vanish = await vanishingPhase(url);
  const texts = await Promise.all(gateways.map(async (g) => (await fetch(`${g.base}/metrics`)).text()));
  const metrics = texts.join('\n');
  // prom-client's event-loop delay since start: how starved the gateways were.
  const lagMaxS = Math.max(
    ...texts.map((t) => metricValue(t, 'mcp_warden_process_nodejs_eventloop_lag_max_seconds')),
  );
  const loadAfter = loadAverage();
  const gatewayCpuS = sum(gateways.map((g) => cpuSeconds(g.pid)));
  await lb?.stop();
  const exitCodes = await Promise.all(gateways.map((g) => g.stop()));
  const leftAfterExit = processesWith(marker).length;
  writeResults({
    single,
    result,
    idleKib,
    memory: memory!,
    leftAfterDelete,
    vanish,
    metrics,
    lagMaxS,
    gatewayCpuS,
    loadAfter,
    exitCodes,
    leftAfterExit,
  });
} finally {
  await lb?.stop();
  await Promise.all(gateways.map((g) => g.stop()));
  rmSync(dir, { recursive: true, force: true });
}

interface Memory {
  gatewayKib: number;
  processes: number;
  sandboxRssKib: number;
  sandboxPssKib: number;
  /** Sessions each replica holds (its /readyz), in replica order. */
  perReplica: number[];
}

/** Memory with every session open: the gateways' RSS and everything below them. */
async function measure(): Promise<Memory> {
  await sleep(1000);
  const below = descendants(gateways.map((g) => g.pid));
  const perReplica = await Promise.all(
    gateways.map(
      async (g) => ((await (await fetch(`${g.base}/readyz`)).json()) as { sessions: number }).sessions,
    ),
  );
  return {
    gatewayKib: sum(gateways.map((g) => rssKib(g.pid))),
    processes: below.length,
    sandboxRssKib: sum(below.map(rssKib)),
    sandboxPssKib: sum(below.map(pssKib)),
    perReplica,
  };
}

interface Vanish {
  /** Sessions the clients got to the state their kind needs before they were killed. */
  ready: number;
  failed: string[];
  /** Sandbox processes alive right after the kill. */
  peakProcesses: number;
  /** From the kill to the last sandbox process gone, ms (undefined: some were left). */
  drainedMs: number | undefined;
  left: number[];
}

/** Vanishing clients in child processes, SIGKILLed; then wait for their sandboxes to go. */
async function vanishingPhase(url: string): Promise<Vanish> {
  if (VANISH === 0) return { ready: 0, failed: [], peakProcesses: 0, drainedMs: 0, left: [] };
  const third = Math.floor(VANISH / 3);
  const kinds = [
    ['mid-initialize', third],
    ['no-initialized', third],
    ['after-handshake', VANISH - 2 * third],
  ] as const;
  // Sessions that need a sandbox first, then the mid-initialize ones, killed as soon as sent.
  const slow = await Promise.all(kinds.slice(1).map(([kind, n]) => vanishingClients(url, kind, n)));
  const fast = await vanishingClients(url, kinds[0][0], kinds[0][1]);
  const all = [...slow, fast];
  const killedAt = performance.now();
  const peakProcesses = processesWith(marker).length;
  const deadline = killedAt + TTL + MARGIN_MS;
  let left = processesWith(marker);
  while (left.length > 0 && performance.now() < deadline) {
    await sleep(100);
    left = processesWith(marker);
  }
  return {
    ready: sum(all.map((c) => c.ready)),
    failed: all.flatMap((c) => c.failed),
    peakProcesses,
    drainedMs: left.length === 0 ? performance.now() - killedAt : undefined,
    left,
  };
}

/** Start bench/fixtures/vanishing-clients.ts, wait for its report, SIGKILL it. */
async function vanishingClients(
  url: string,
  kind: string,
  n: number,
): Promise<{ ready: number; failed: string[] }> {
  if (n === 0) return { ready: 0, failed: [] };
  const child = spawn(
    process.execPath,
    [path.join(REPO, 'bench/fixtures/vanishing-clients.ts'), url, String(n), kind],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  const report = await new Promise<string>((resolve) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    void exited.then(() => resolve(out));
  });
  child.kill('SIGKILL');
  await exited;
  try {
    const parsed = JSON.parse(report) as { ready: number; failed: string[] };
    return { ready: parsed.ready, failed: parsed.failed.map((f) => `${kind}: ${f}`) };
  } catch {
    return { ready: 0, failed: [`${kind}: the client process reported nothing (${report})`] };
  }
}

/** Poll until no sandbox process carries the marker or `ms` pass; the number left. */
async function settleTo0(ms: number): Promise<number> {
  const deadline = performance.now() + ms;
  let left = processesWith(marker).length;
  while (left > 0 && performance.now() < deadline) {
    await sleep(100);
    left = processesWith(marker).length;
  }
  return left;
}

interface Outcome {
  single: LoadResult;
  result: LoadResult;
  idleKib: number;
  memory: Memory;
  leftAfterDelete: number;
  vanish: Vanish;
  metrics: string;
  lagMaxS: number;
  gatewayCpuS: number;
  loadAfter: string;
  exitCodes: (number | null)[];
  leftAfterExit: number;
}

function writeResults(o: Outcome): void {
  const { single, result, memory, vanish } = o;
  const ms = (v: number): string => v.toFixed(1);
  const mib = (kib: number): string => (kib / 1024).toFixed(1);
  // Per session that was open when memory was read (all of them unless some failed).
  const open = Math.max(1, sum(memory.perReplica));
  const perSession = (kib: number): string => `${mib(kib / open)} MiB`;
  const errors = [...single.errors, ...result.errors, ...vanish.failed];
  const kinds = new Map<string, number>();
  for (const e of errors) {
    const kind = e.replace(/^session \d+ /, '').replace(/call \d+/, 'call');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const ended = (reason: string): number =>
    metricValue(o.metrics, 'mcp_warden_sessions_ended_total', `reason="${reason}"`);
  const rows = [
    [
      'one session alone: call latency p50 / p99',
      `${ms(quantile(single.latencies, 0.5))} / ${ms(quantile(single.latencies, 0.99))} ms`,
    ],
    ['one session alone: session start', `${ms(quantile(single.connects, 0.5))} ms`],
    ['sessions (concurrent) x tools/call each', `${SESSIONS} x ${CALLS}`],
    ['calls completed', `${result.calls} / ${SESSIONS * CALLS}`],
    ['errors (all phases)', String(errors.length)],
    ...[...kinds].map(([kind, n]) => [
      `- ${n} x`,
      kind.replace(/\s+/g, ' ').replaceAll('|', '\\|').slice(0, 160),
    ]),
    [
      'call latency p50 / p99',
      `${ms(quantile(result.latencies, 0.5))} / ${ms(quantile(result.latencies, 0.99))} ms`,
    ],
    [
      'session start p50 / p99 (initialize, sandbox launch)',
      `${ms(quantile(result.connects, 0.5))} / ${ms(quantile(result.connects, 0.99))} ms`,
    ],
    ['calls per second (all sessions open)', (result.calls / (result.callPhaseMs / 1000)).toFixed(0)],
    ['wall time (open, calls, memory read, DELETE)', `${(result.wallMs / 1000).toFixed(1)} s`],
    ['gateway event-loop delay, max over the run', `${(o.lagMaxS * 1000).toFixed(0)} ms`],
    ['gateway CPU time over the run, all gateways (user + system)', `${o.gatewayCpuS.toFixed(1)} s`],
    ...(REPLICAS > 1 ? [['sessions held per replica', memory.perReplica.join(' / ')]] : []),
    ['gateway RSS idle, all gateways (after the single session)', `${mib(o.idleKib)} MiB`],
    ['gateway RSS with the sessions open, all gateways', `${mib(memory.gatewayKib)} MiB`],
    ['gateway RSS per session (over idle)', perSession(memory.gatewayKib - o.idleKib)],
    ['sessions open when memory was read', String(open)],
    ['sandbox processes per session', (memory.processes / open).toFixed(1)],
    ['sandbox RSS per session (sum of RSS below the gateways)', perSession(memory.sandboxRssKib)],
    ['sandbox PSS per session (shared pages split)', perSession(memory.sandboxPssKib)],
    ['gateway + sandbox RSS per session', perSession(memory.gatewayKib - o.idleKib + memory.sandboxRssKib)],
    ['sandboxes left after the DELETEs', String(o.leftAfterDelete)],
    [
      'vanishing clients (mid-initialize / no initialized / after handshake)',
      `${VANISH} (${Math.floor(VANISH / 3)} / ${Math.floor(VANISH / 3)} / ${VANISH - 2 * Math.floor(VANISH / 3)}), ${vanish.ready} got there`,
    ],
    ['sandbox processes right after they vanished', String(vanish.peakProcesses)],
    [
      `sandboxes left ${(TTL + MARGIN_MS) / 1000} s later (TTL + margin)`,
      vanish.drainedMs === undefined
        ? String(vanish.left.length)
        : `0 (all gone ${(vanish.drainedMs / 1000).toFixed(1)} s after the kill)`,
    ],
    [
      'sessions ended: delete / unused / idle / other',
      `${ended('delete')} / ${ended('unused')} / ${ended('idle')} / ${metricValue(o.metrics, 'mcp_warden_sessions_ended_total') - ended('delete') - ended('unused') - ended('idle')}`,
    ],
    ['gateway exit status after SIGTERM', o.exitCodes.join(', ')],
    ['sandboxes left after exit', String(o.leftAfterExit)],
  ];
  const heading = `## ${SESSIONS} sessions, ${REPLICAS === 1 ? 'one gateway' : `${REPLICAS} replicas behind nginx`} (${profile})`;
  const section = [
    heading,
    '',
    `\`${command}\` — ${new Date().toISOString().slice(0, 16)}Z, loopback, ${os.cpus().length} CPUs, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, gateway ${path.relative(REPO, values.entry)}; ` +
      `load average ${loadBefore} before, ${o.loadAfter} after. Limits raised: ${JSON.stringify(limits)}.`,
    '',
    ...markdownTable(['measure', 'value'], rows),
    '',
  ].join('\n');
  const file = path.join(REPO, 'bench/gateway-results.md');
  writeFileSync(file, mergeSection(existsSync(file) ? readFileSync(file, 'utf8') : '', heading, section));
  process.stdout.write(`${section}\n`);
  if (errors.length > 0) process.stderr.write(`errors:\n  ${errors.slice(0, 10).join('\n  ')}\n`);
  if (vanish.left.length > 0)
    process.stderr.write(`left after the vanishing clients: ${vanish.left.join(' ')}\n`);
  const dirty =
    o.leftAfterDelete + vanish.left.length + o.leftAfterExit > 0 || o.exitCodes.some((c) => c !== 0);
  if (errors.length > 0 || dirty || result.calls !== SESSIONS * CALLS) process.exitCode = 1;
}

/**
 * The results file with `section` in place of the one under `heading` (or appended), sections in
 * the order sessions, replicas. Sections not written by this bench (another heading shape) are dropped.
 */
function mergeSection(text: string, heading: string, section: string): string {
  const sections = new Map<string, string>();
  for (const part of text.split(/^(?=## )/m)) {
    const title = part.split('\n', 1)[0]!;
    if (/^## \d+ sessions, /.test(title)) sections.set(title, part.trimEnd() + '\n');
  }
  sections.set(heading, section);
  const key = (title: string): number[] => [Number(/\d+/.exec(title)?.[0]), /replicas/.test(title) ? 1 : 0];
  const ordered = [...sections.entries()].sort(([a], [b]) => {
    const [x, y] = [key(a), key(b)];
    return x[0]! - y[0]! || x[1]! - y[1]!;
  });
  return [
    '# Gateway load (`bench/gateway.ts`, generated)',
    '',
    'Each section is one `node bench/gateway.ts` run; a run replaces its own section.',
    '',
    ...ordered.map(([, s]) => s),
  ].join('\n');
}

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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sum(list: number[]): number {
  return list.reduce((a, b) => a + b, 0);
}

/** A Markdown table laid out the way prettier formats one (so the results file passes lint). */
function markdownTable(header: string[], body: string[][]): string[] {
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
}
