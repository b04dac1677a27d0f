// npm run bench (client-start part) — what a user waits for and pays when a client starts its whole
// config: eight servers (bench/lib/client-config.ts) started at the same moment, each driven by the
// SDK Client over stdio. Measured per mode, in one run, rounds interleaved across modes:
//  - time from the eight spawns until all eight answered `initialize` and `tools/list`;
//  - once idle (a second later), the summed RSS and PSS of the wardens and of the servers (from /proc;
//    for docker/gvisor the servers are the containers' processes, and the watchdog is counted apart).
// Writes bench/client-start-results.md and bench/client-start.svg.
// Options: --rounds N (default 5), --modes a,b,c (default direct,relay,none,bwrap,docker,gvisor,auto;
// relay is bench/fixtures/relay.mjs, the floor of any supervisor that is a second process in the path).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { clientConfig, clientLaunch, type ConfiguredServer } from './lib/client-config.ts';
import { openSession, type Session } from './lib/mcp-session.ts';
import { REPO } from './lib/modes.ts';
import { loadAverage, processesWith } from './lib/proc-stats.ts';
import { type Memory, sessionMemory } from './lib/session-memory.ts';
import { medianRange, type Summary, summarize } from './lib/stats.ts';
import { barCharts } from './lib/svg.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    modes: { type: 'string', default: 'direct,relay,none,bwrap,docker,gvisor,auto' },
    idle: { type: 'string', default: '3000' },
  },
});
const ROUNDS = Number(values.rounds);
/** How long the sessions sit idle before their memory is read. */
const IDLE_MS = Number(values.idle);
/** /proc gives KiB. */
const MiB = 1024;

/** One round of one mode: the eight sessions' readiness time and memory. */
interface Round {
  readyMs: number;
  wardenRss: number;
  wardenPss: number;
  helperRss: number;
  serverRss: number;
  serverPss: number;
  /** Each warden's own RSS (KiB), for the per-warden target. */
  perWarden: number[];
  load: string;
}

async function startAll(mode: string, servers: ConfiguredServer[]): Promise<Round> {
  const start = performance.now();
  const opened = await Promise.allSettled(
    servers.map(async (server) => {
      const session = await openSession(clientLaunch(mode, server));
      try {
        await session.client.listTools();
      } catch (error) {
        await session.close();
        throw new Error(`${server.name}: tools/list failed: ${(error as Error).message}`, { cause: error });
      }
      return session;
    }),
  );
  const readyMs = performance.now() - start;
  const sessions = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  try {
    const failed = opened.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const load = loadAverage();
    const memories = sessions.map((session: Session) => sessionMemory(session.pid ?? 0, mode === 'direct'));
    const total = (pick: (m: (typeof memories)[number]) => Memory | undefined, key: keyof Memory): number =>
      memories.reduce((acc, m) => acc + (pick(m)?.[key] ?? 0), 0);
    return {
      readyMs,
      wardenRss: total((m) => m.warden, 'rss'),
      wardenPss: total((m) => m.warden, 'pss'),
      helperRss: total((m) => m.helpers, 'rss'),
      serverRss: total((m) => m.server, 'rss'),
      serverPss: total((m) => m.server, 'pss'),
      perWarden: memories.flatMap((m) => (m.warden ? [m.warden.rss] : [])),
      load,
    };
  } finally {
    await Promise.all(sessions.map((session) => session.close()));
  }
}

/** Wait until nothing started under `dir` is left (the wardens remove their containers on exit). */
async function settle(dir: string): Promise<void> {
  for (let i = 0; i < 100 && processesWith(dir).length > 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
}

const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const mb = (kib: number): string => `${f(kib / MiB)} MB`;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-clients-'));
  const loadAtStart = loadAverage();
  const rounds = new Map<string, Round[]>();
  const skipped = new Map<string, string>();
  let servers: ConfiguredServer[];
  try {
    servers = clientConfig(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let modes = String(values.modes).split(',').filter(Boolean);
  try {
    // A trial start per mode warms caches (profiles, host facts, the image, the page cache) and shows
    // which modes work here; no measured round pays for set-up.
    for (const mode of modes) {
      try {
        await startAll(mode, servers);
        rounds.set(mode, []);
      } catch (error) {
        skipped.set(mode, (error as Error).message.split('\n')[0]?.slice(0, 200) ?? 'failed');
      }
      await settle(dir);
    }
    modes = modes.filter((mode) => rounds.has(mode));
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so no mode always runs right after the heaviest one.
      const order = modes.map((_, i) => modes[(i + round) % modes.length] as string);
      for (const mode of order) {
        rounds.get(mode)?.push(await startAll(mode, servers));
        await settle(dir);
        process.stderr.write(`client-start: round ${round + 1}/${ROUNDS} ${mode} done\n`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const pick = (mode: string, key: keyof Omit<Round, 'perWarden' | 'load'>): Summary =>
    summarize((rounds.get(mode) ?? []).map((r) => r[key]));
  const direct = pick('direct', 'readyMs');
  const directRss = pick('direct', 'serverRss');
  const lines = [
    '# Client start: eight servers at once',
    '',
    `node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), ${new Date().toISOString().slice(0, 10)}. ` +
      `Generated by \`node bench/client-start.ts\` (part of \`npm run bench\`). Eight servers (${servers.map((s) => s.name).join(', ')}) ` +
      `started at the same moment, each by the SDK Client over stdio, as a client starts its config; ` +
      `${ROUNDS} rounds per mode, modes interleaved, medians with the min–max over rounds. ` +
      `Load average (1, 5, 15 min) at the start: ${loadAtStart}; at the end: ${loadAverage()}.`,
    '',
    '## Time until all eight answered `initialize` and `tools/list`',
    '',
    '| mode | all ready, ms | vs direct |',
    '|---|---|---|',
    ...modes.map((mode) => {
      const ready = pick(mode, 'readyMs');
      return `| ${mode} | ${medianRange(ready, 0)} | ${f(ready.median / direct.median, 2)}× |`;
    }),
    ...[...skipped].map(([mode, why]) => `| ${mode} | not run here: ${why} | |`),
    '',
    `## Memory once idle (${IDLE_MS} ms after all eight were ready), summed over the eight sessions`,
    '',
    'RSS counts shared pages (the node binary, libraries) in full for every process; PSS splits them ' +
      'among the processes that share them. "Servers" are the sandboxes (bwrap and the server, or the ' +
      "container's processes; not the engine's shims). The watchdog is the docker backend's helper process.",
    '',
    '| mode | wardens RSS | wardens ÷ servers (RSS) | per warden RSS | watchdogs RSS | servers RSS | wardens PSS | servers PSS | wardens ÷ servers (PSS) | wardens + servers RSS vs direct |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...modes.map((mode) => {
      const w = pick(mode, 'wardenRss');
      const s = pick(mode, 'serverRss');
      const wp = pick(mode, 'wardenPss');
      const sp = pick(mode, 'serverPss');
      const h = pick(mode, 'helperRss');
      const per = summarize((rounds.get(mode) ?? []).flatMap((r) => r.perWarden));
      if (mode === 'direct')
        return `| direct | – | – | – | – | ${mb(s.median)} | – | ${mb(sp.median)} | – | 1.00× |`;
      return (
        `| ${mode} | ${mb(w.median)} | ${f(w.median / s.median, 2)}× | ${mb(per.median)} (${mb(per.min)}–${mb(per.max)}) | ${mb(h.median)} | ` +
        `${mb(s.median)} | ${mb(wp.median)} | ${mb(sp.median)} | ${f(wp.median / sp.median, 2)}× | ${f((w.median + h.median + s.median) / directRss.median, 2)}× |`
      );
    }),
    '',
    '## Load average after each round (1, 5, 15 min)',
    '',
    ...modes.map(
      (mode) => `- ${mode}: ${(rounds.get(mode) ?? []).map((r) => r.load.split(' ')[0]).join(', ')}`,
    ),
    '',
  ];
  const perWarden = (mode: string): number =>
    summarize((rounds.get(mode) ?? []).flatMap((r) => r.perWarden)).median;
  const ratio = (mode: string): number => pick(mode, 'wardenRss').median / pick(mode, 'serverRss').median;
  const total = (mode: string): number =>
    (pick(mode, 'wardenRss').median + pick(mode, 'helperRss').median + pick(mode, 'serverRss').median) /
    directRss.median;
  const verdict = (ok: boolean, known: boolean): string => (!known ? 'NOT MEASURED' : ok ? 'met' : 'MISSED');
  const bwrapReady = pick('bwrap', 'readyMs').median / direct.median;
  lines.push(
    '## Targets (issue 19)',
    '',
    ...['none', 'bwrap'].map(
      (mode) =>
        `- an idle \`${mode}\` warden ≤ 48 MB RSS: ${mb(perWarden(mode))} — ${verdict(perWarden(mode) <= 48 * MiB, Number.isFinite(perWarden(mode)))}`,
    ),
    ...['none', 'bwrap'].map(
      (mode) =>
        `- \`${mode}\`: eight wardens ≤ 1.25× the eight servers' RSS: ${f(ratio(mode), 2)}× — ${verdict(ratio(mode) <= 1.25, Number.isFinite(ratio(mode)))}`,
    ),
    ...['none', 'bwrap'].map(
      (mode) =>
        `- \`${mode}\`, read strictly (wardens + servers ≤ 1.25× the servers alone, direct): ${f(total(mode), 2)}× — ${verdict(total(mode) <= 1.25, Number.isFinite(total(mode)))}`,
    ),
    `- eight \`bwrap\` servers ready within 1.2× of eight direct ones: ${f(bwrapReady, 2)}× — ${verdict(bwrapReady <= 1.2, Number.isFinite(bwrapReady))}`,
    ...(rounds.has('relay')
      ? [
          `- for reference, not a target: eight bare Node relays (bench/fixtures/relay.mjs, no parsing, no policy) are ready at ${f(pick('relay', 'readyMs').median / direct.median, 2)}× of direct and idle at ${mb(perWarden('relay'))} each — the floor of any supervisor that is a second Node process in the stdio path`,
        ]
      : []),
    '',
  );
  const text = lines.join('\n');
  writeFileSync(path.join(REPO, 'bench', 'client-start-results.md'), text);
  writeFileSync(
    path.join(REPO, 'bench', 'client-start.svg'),
    barCharts(
      [
        {
          title: 'eight servers started at once: all ready (initialize + tools/list), ms',
          bars: modes.map((mode) => {
            const ready = pick(mode, 'readyMs');
            return {
              label: mode,
              value: ready.median,
              note: `${f(ready.median, 0)} ms (${f(ready.median / direct.median, 2)}×)`,
            };
          }),
        },
        {
          title: 'idle memory of the eight sessions, RSS MB (wardens + watchdogs + servers)',
          bars: modes.map((mode) => {
            const all =
              pick(mode, 'wardenRss').median +
              pick(mode, 'helperRss').median +
              pick(mode, 'serverRss').median;
            return { label: mode, value: all / MiB, note: `${mb(all)} (${f(all / directRss.median, 2)}×)` };
          }),
        },
      ],
      `mcp-warden client start — node ${process.version}, ${os.cpus().length} cores`,
    ),
  );
  process.stdout.write(text);
}

await main();
