// node bench/isolate-start.ts — cold start (spawn → initialize result through the SDK client) of the
// real server-filesystem and server-memory, direct vs `--profile isolate`, rounds interleaved so both
// modes see the same machine. Run `npm run build` first (the warden is dist/cli/main.js). Each mode
// starts once per server before measuring (bundle, code caches warm). Prints a table; writes nothing.
// Options: --rounds N (default 15), --modes a,b (default direct,isolate; any warden profile works),
// --baseline FILE (another build's dist/cli/main.js, e.g. of the previous commit: adds the mode
// `isolate-baseline`, the same profile through that warden).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openSession } from './lib/mcp-session.ts';
import { FS_SERVER, launchFor, MEMORY_SERVER, type Mode, type ServerSpec, WARDEN } from './lib/modes.ts';
import { loadAverage } from './lib/proc-stats.ts';
import { medianRange, summarize } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    modes: { type: 'string', default: 'direct,isolate' },
    baseline: { type: 'string' },
  },
});
const ROUNDS = Number(values.rounds);
const BASELINE = values.baseline;
const MODES: Mode[] = [
  ...String(values.modes).split(',').filter(Boolean),
  ...(BASELINE === undefined ? [] : ['isolate-baseline']),
];

const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-isolate-start-'));
chmodSync(dir, 0o777);
writeFileSync(path.join(dir, 'small.txt'), 'hello\n');
const servers: Array<{ name: string; spec: ServerSpec }> = [
  { name: 'server-filesystem', spec: { script: FS_SERVER, args: [dir], env: {}, root: dir } },
  {
    name: 'server-memory',
    spec: {
      script: MEMORY_SERVER,
      args: [],
      env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') },
      root: dir,
    },
  },
];

async function coldStart(mode: Mode, spec: ServerSpec): Promise<number> {
  const launch =
    mode === 'isolate-baseline' && BASELINE !== undefined
      ? (({ args, ...rest }) => ({ ...rest, args: args.map((a) => (a === WARDEN ? BASELINE : a)) }))(
          launchFor('isolate', spec, ''),
        )
      : launchFor(mode, spec, '');
  const session = await openSession(launch);
  await session.close();
  return session.coldMs;
}

try {
  const loadBefore = loadAverage();
  for (const { spec } of servers) for (const mode of MODES) await coldStart(mode, spec);
  const samples = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const { name, spec } of servers) {
      // Alternate which mode goes first, so neither always follows the other's exit.
      const order = round % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) {
        const key = `${name} ${mode}`;
        samples.set(key, [...(samples.get(key) ?? []), await coldStart(mode, spec)]);
      }
    }
  }
  const lines = [
    `node ${process.version}, ${os.cpus().length} cores, ${ROUNDS} interleaved rounds; load average ${loadBefore} before, ${loadAverage()} after`,
    '',
    '| server | mode | cold start ms, median (min–max) | vs direct |',
    '|---|---|---|---|',
  ];
  for (const { name } of servers) {
    const direct = summarize(samples.get(`${name} direct`) ?? []);
    for (const mode of MODES) {
      const summary = summarize(samples.get(`${name} ${mode}`) ?? []);
      const delta = summary.median - direct.median;
      lines.push(
        `| ${name} | ${mode} | ${medianRange(summary, 1)} | ${Number.isFinite(delta) ? `${delta >= 0 ? '+' : ''}${delta.toFixed(1)}` : ''} |`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
