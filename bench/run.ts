// npm run bench — one run, one process tree, every ratio taken within the same run (the machines are
// shared and noisy). Writes bench/results.md (tables) and bench/results.svg (a chart).
//  1. cold start (spawn → initialize result) and per-call latency of the real server-filesystem
//     (read_text_file of a small file) and server-memory (search_nodes), for direct, the peer sandbox
//     srt (@anthropic-ai/sandbox-runtime), and every warden profile that works here;
//  2. pipelined throughput through the mediator against a trivial echo server, vs direct;
//  3. a 1 MB and a 16 MB tool result: time and the warden's peak RSS;
//  4. the policy engine alone: messages per second for a realistic mix.
// Options: --rounds N (cold starts per mode and server), --calls N (calls per latency session),
// --sessions N (latency sessions per mode), --modes a,b,c.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openSession } from './lib/mcp-session.ts';
import {
  BENCH_SERVER,
  FS_SERVER,
  launchFor,
  MEMORY_SERVER,
  type Mode,
  REPO,
  type ServerSpec,
  srtSettings,
} from './lib/modes.ts';
import { policyThroughput } from './lib/policy-cost.ts';
import { openRaw } from './lib/raw-session.ts';
import { medianRange, type Summary, summarize } from './lib/stats.ts';
import { barCharts } from './lib/svg.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '8' },
    calls: { type: 'string', default: '200' },
    sessions: { type: 'string', default: '3' },
    modes: { type: 'string', default: 'direct,relay,srt,none,bwrap,docker,gvisor,isolate' },
  },
});
const ROUNDS = Number(values.rounds);
const CALLS = Number(values.calls);
const SESSIONS = Number(values.sessions);
const MiB = 1024 * 1024;
/** Pipelined requests per throughput run (after 2000 warm-up requests). */
const THROUGHPUT_COUNT = 10_000;

interface ServerCase {
  name: string;
  spec: ServerSpec;
  /** The measured call. */
  call: { name: string; arguments: Record<string, unknown> };
  /** Once per latency session before measuring. */
  setup?: { name: string; arguments: Record<string, unknown> };
}

function cases(root: string): ServerCase[] {
  return [
    {
      name: 'server-filesystem',
      spec: { script: FS_SERVER, args: [root], env: {}, root },
      call: { name: 'read_text_file', arguments: { path: path.join(root, 'small.txt') } },
    },
    {
      name: 'server-memory',
      spec: {
        script: MEMORY_SERVER,
        args: [],
        env: { MEMORY_FILE_PATH: path.join(root, 'memory.jsonl') },
        root,
      },
      setup: {
        name: 'create_entities',
        arguments: {
          entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }],
        },
      },
      call: { name: 'search_nodes', arguments: { query: 'program' } },
    },
  ];
}

const skipped = new Map<Mode, string>();

async function availableModes(server: ServerCase, settings: string): Promise<Mode[]> {
  const usable: Mode[] = [];
  for (const mode of String(values.modes).split(',').filter(Boolean)) {
    try {
      // A trial session per mode: also warms caches and builds images, so no measured start pays for setup.
      const session = await openSession(launchFor(mode, server.spec, settings));
      await session.client.callTool(server.call);
      await session.close();
      usable.push(mode);
    } catch (error) {
      skipped.set(mode, (error as Error).message.split('\n')[0]?.slice(0, 200) ?? 'failed');
    }
  }
  return usable;
}

interface ServerResult {
  cold: Map<Mode, Summary>;
  /** Per-session medians (for the range) and all calls pooled (for p99). */
  callMedian: Map<Mode, Summary>;
  callP99: Map<Mode, number>;
}

async function measureServer(server: ServerCase, modes: Mode[], settings: string): Promise<ServerResult> {
  const cold = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of modes) {
      const session = await openSession(launchFor(mode, server.spec, settings));
      cold.get(mode)?.push(session.coldMs);
      await session.close();
    }
  }
  const medians = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  const pooled = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  for (let s = 0; s < SESSIONS; s++) {
    const open = new Map<Mode, Awaited<ReturnType<typeof openSession>>>();
    for (const mode of modes) {
      const session = await openSession(launchFor(mode, server.spec, settings));
      if (server.setup) await session.client.callTool(server.setup);
      for (let i = 0; i < 20; i++) await session.client.callTool(server.call);
      open.set(mode, session);
    }
    const samples = new Map<Mode, number[]>(modes.map((m) => [m, []]));
    // Interleaved in blocks of 10 so every mode sees the same machine conditions.
    for (let block = 0; block < CALLS / 10; block++) {
      for (const mode of modes) {
        const session = open.get(mode);
        if (!session) continue;
        for (let i = 0; i < 10; i++) {
          const start = performance.now();
          await session.client.callTool(server.call);
          samples.get(mode)?.push(performance.now() - start);
        }
      }
    }
    for (const [mode, session] of open) {
      await session.close();
      const list = samples.get(mode) ?? [];
      medians.get(mode)?.push(summarize(list).median);
      pooled.get(mode)?.push(...list);
    }
  }
  return {
    cold: new Map(modes.map((m) => [m, summarize(cold.get(m) ?? [])])),
    callMedian: new Map(modes.map((m) => [m, summarize(medians.get(m) ?? [])])),
    callP99: new Map(modes.map((m) => [m, summarize(pooled.get(m) ?? []).p99])),
  };
}

async function measureThroughput(root: string, modes: Mode[], settings: string): Promise<Map<Mode, Summary>> {
  const spec: ServerSpec = { script: BENCH_SERVER, args: [], env: {}, root };
  const count = THROUGHPUT_COUNT;
  const runs = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  for (let run = 0; run < 3; run++) {
    for (const mode of modes) {
      const session = await openRaw(launchFor(mode, spec, settings));
      // Warm both ends' JIT the same way before timing (the warden's hot path is cold on first use).
      await session.pipeline(2000, 'tools/call', { name: 'echo', arguments: { text: 'warm' } });
      const start = performance.now();
      await session.pipeline(count, 'tools/call', { name: 'echo', arguments: { text: 'hello' } });
      runs.get(mode)?.push(count / ((performance.now() - start) / 1000));
      await session.close();
    }
  }
  return new Map(modes.map((m) => [m, summarize(runs.get(m) ?? [])]));
}

interface LargeResult {
  bytes: number;
  mode: Mode;
  time: Summary;
  /** Peak RSS of the spawned process (warden or server) over the session, and its RSS before the call. */
  peak: number;
  before: number;
  /** The most the call added: peak after it minus RSS just before it, worst run. */
  growth: number;
}

async function measureLarge(root: string, modes: Mode[], settings: string): Promise<LargeResult[]> {
  const spec: ServerSpec = { script: BENCH_SERVER, args: [], env: {}, root };
  const results: LargeResult[] = [];
  for (const bytes of [1 * MiB, 16 * MiB]) {
    for (const mode of modes) {
      const times: number[] = [];
      let peak = 0;
      let before = 0;
      let growth = 0;
      for (let run = 0; run < 3; run++) {
        const session = await openRaw(launchFor(mode, spec, settings));
        const idle = session.rss();
        before = Math.max(before, idle);
        const start = performance.now();
        const size = await session.request('tools/call', { name: 'blob', arguments: { bytes } });
        times.push(performance.now() - start);
        if (size < bytes) throw new Error(`${mode}: a ${bytes}-byte result arrived as ${size} bytes`);
        const high = session.peakRss();
        peak = Math.max(peak, high);
        growth = Math.max(growth, high - idle);
        await session.close();
      }
      results.push({ bytes, mode, time: summarize(times), peak, before, growth });
    }
  }
  return results;
}

const f = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const mb = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MB`;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-'));
  // World-accessible so every sandbox user can use it (containers never run as root).
  chmodSync(dir, 0o777);
  writeFileSync(path.join(dir, 'small.txt'), 'hello from the benchmark\n'.repeat(8), { mode: 0o666 });
  chmodSync(path.join(dir, 'small.txt'), 0o666);
  const settings = srtSettings(dir, dir);
  const lines: string[] = [];
  const charts = [];
  try {
    const serverCases = cases(dir);
    const modes = await availableModes(serverCases[0] as ServerCase, settings);
    const results: Array<{ server: ServerCase; result: ServerResult }> = [];
    for (const server of serverCases)
      results.push({ server, result: await measureServer(server, modes, settings) });
    const throughputModes = modes.filter((m) => ['direct', 'relay', 'none', 'bwrap'].includes(m));
    const throughput = await measureThroughput(dir, throughputModes, settings);
    const large = await measureLarge(
      dir,
      modes.filter((m) => ['direct', 'none'].includes(m)),
      settings,
    );
    const policyRuns = [0, 1, 2].map(() => policyThroughput(1500));
    const policy = summarize(policyRuns);

    lines.push(
      '# mcp-warden benchmark',
      '',
      `node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), ${new Date().toISOString().slice(0, 10)}. ` +
        `One run; every ratio is against \`direct\` measured in the same run. Figures are medians with the min–max over runs: ` +
        `${ROUNDS} cold starts per mode, ${SESSIONS} latency sessions of ${CALLS} calls per mode (interleaved in blocks of 10).`,
      '',
    );
    for (const { server, result } of results) {
      const direct = { cold: result.cold.get('direct'), call: result.callMedian.get('direct') };
      lines.push(
        `## ${server.name} (\`${server.call.name}\`)`,
        '',
        '| mode | cold start ms | vs direct | call median ms | call p99 ms | median vs direct |',
        '|---|---|---|---|---|---|',
      );
      for (const mode of modes) {
        const cold = result.cold.get(mode) as Summary;
        const call = result.callMedian.get(mode) as Summary;
        lines.push(
          `| ${mode} | ${medianRange(cold, 1)} | ${direct.cold ? `${cold.median - direct.cold.median >= 0 ? '+' : ''}${f(cold.median - direct.cold.median, 1)}` : ''} | ` +
            `${medianRange(call)} | ${f(result.callP99.get(mode) ?? Number.NaN)} | ${direct.call ? `${f(call.median / direct.call.median, 3)}×` : ''} |`,
        );
      }
      for (const [mode, reason] of skipped) lines.push(`| ${mode} | not run here: ${reason} | | | | |`);
      lines.push('');
      charts.push({
        title: `${server.name}: cold start, ms (spawn → initialize result)`,
        bars: modes.map((mode) => {
          const cold = result.cold.get(mode) as Summary;
          return { label: mode, value: cold.median, note: `${f(cold.median, 0)} ms` };
        }),
      });
      charts.push({
        title: `${server.name}: median ${server.call.name} latency, ms`,
        bars: modes.map((mode) => {
          const call = result.callMedian.get(mode) as Summary;
          return {
            label: mode,
            value: call.median,
            note: `${f(call.median)} ms (${f(call.median / (direct.call?.median ?? Number.NaN))}×)`,
          };
        }),
      });
    }
    const directTp = throughput.get('direct');
    lines.push(
      `## Throughput (pipelined \`echo\` calls, ${THROUGHPUT_COUNT} per run after 2000 to warm up, 3 runs)`,
      '',
      '| mode | requests/s | vs direct |',
      '|---|---|---|',
    );
    for (const [mode, summary] of throughput) {
      lines.push(
        `| ${mode} | ${medianRange(summary, 0)} | ${directTp ? `${f(summary.median / directTp.median, 3)}×` : ''} |`,
      );
    }
    charts.push({
      title: 'pipelined throughput, requests/s (echo server; target: none ≥ 0.8× direct)',
      bars: [...throughput].map(([mode, summary]) => ({
        label: mode,
        value: summary.median,
        note: `${f(summary.median, 0)}/s (${f(summary.median / (directTp?.median ?? Number.NaN))}×)`,
      })),
    });
    charts.push({
      title: '16 MB result: RSS growth of the spawned process, MB (target: warden < 64 MB)',
      bars: large
        .filter((r) => r.bytes === 16 * MiB)
        .map((r) => ({
          label: r.mode,
          value: r.growth / MiB,
          note: `${mb(r.growth)} (${f(r.growth / r.bytes)}×)`,
        })),
    });
    lines.push(
      '',
      '## Large results (one `blob` call, 3 runs)',
      '',
      '| size | mode | time ms | peak RSS of the spawned process | RSS before the call | growth (peak − before) | growth ÷ size |',
      '|---|---|---|---|---|---|---|',
    );
    for (const r of large)
      lines.push(
        `| ${mb(r.bytes)} | ${r.mode} | ${medianRange(r.time, 1)} | ${mb(r.peak)} | ${mb(r.before)} | ${mb(r.growth)} | ${f(r.growth / r.bytes)}× |`,
      );
    lines.push(
      '',
      '## Policy engine alone',
      '',
      `${f(policy.median, 0)} messages/s (${f(policy.min, 0)}–${f(policy.max, 0)}; parse + decide + bookkeeping, realistic mix, one core).`,
      '',
    );

    // Targets (issues 2, 4 and 9), each stated with where it stands.
    const fsr = results[0]?.result as ServerResult;
    const ratio = (mode: Mode): number =>
      (fsr.callMedian.get(mode)?.median ?? Number.NaN) / (fsr.callMedian.get('direct')?.median ?? Number.NaN);
    const coldOver = (mode: Mode): number =>
      (fsr.cold.get(mode)?.median ?? Number.NaN) - (fsr.cold.get('direct')?.median ?? Number.NaN);
    const verdict = (ok: boolean, known: boolean): string =>
      !known ? 'NOT MEASURED' : ok ? 'met' : 'MISSED';
    const noneTp = (throughput.get('none')?.median ?? Number.NaN) / (directTp?.median ?? Number.NaN);
    const relayTp = (throughput.get('relay')?.median ?? Number.NaN) / (directTp?.median ?? Number.NaN);
    const big = large.find((r) => r.bytes === 16 * MiB && r.mode === 'none');
    const bwrapCold = fsr.cold.get('bwrap')?.median ?? Number.NaN;
    const srtCold = fsr.cold.get('srt')?.median ?? Number.NaN;
    const isoCold = fsr.cold.get('isolate')?.median ?? Number.NaN;
    const directCold = fsr.cold.get('direct')?.median ?? Number.NaN;
    lines.push(
      '## Targets (server-filesystem unless said otherwise)',
      '',
      `- \`none\` per-call median within 1.10× of direct: ${f(ratio('none'), 3)}× — ${verdict(ratio('none') <= 1.1, Number.isFinite(ratio('none')))}`,
      `- \`none\` throughput ≥ 0.8× direct: ${f(noneTp, 3)}× — ${verdict(noneTp >= 0.8, Number.isFinite(noneTp))}`,
      `- \`bwrap\` cold start within 50 ms of direct: +${f(coldOver('bwrap'), 1)} ms — ${verdict(coldOver('bwrap') <= 50, Number.isFinite(coldOver('bwrap')))}`,
      `- \`bwrap\` cold start faster than srt: ${f(bwrapCold, 1)} vs ${f(srtCold, 1)} ms — ${verdict(bwrapCold < srtCold, Number.isFinite(bwrapCold + srtCold))}`,
      `- policy engine ≥ 100,000 messages/s: ${f(policy.median, 0)} — ${verdict(policy.median >= 100_000, true)}`,
      `- 16 MB result: warden peak RSS under 4× the message size (64 MB), counted as growth over the idle warden: ${big ? `${mb(big.growth)} (${f(big.growth / big.bytes)}×; absolute peak ${mb(big.peak)} from ${mb(big.before)} idle)` : 'n/a'} — ${verdict((big?.growth ?? Infinity) < 64 * MiB, big !== undefined)}`,
      `- for reference, not a target: a bare Node relay (bench/fixtures/relay.mjs, no parsing, no policy) costs ${f(ratio('relay'), 3)}× per call and ${f(relayTp, 3)}× throughput of direct on this machine — the floor of any supervisor that is a second process in the stdio path`,
      `- \`isolate\` cold start ≥ 3× faster than direct: ${f(directCold / isoCold, 2)}× — ${verdict(directCold / isoCold >= 3, Number.isFinite(isoCold))}`,
      `- \`isolate\` per-call median within 1.5× of direct: ${f(ratio('isolate'), 3)}× — ${verdict(ratio('isolate') <= 1.5, Number.isFinite(ratio('isolate')))}`,
      '',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const text = lines.join('\n');
  writeFileSync(path.join(REPO, 'bench', 'results.md'), text);
  writeFileSync(
    path.join(REPO, 'bench', 'results.svg'),
    barCharts(charts, `mcp-warden benchmark — node ${process.version}, ${os.cpus().length} cores`),
  );
  process.stdout.write(text);
}

await main();
