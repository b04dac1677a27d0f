// npm run bench — cold start and per-call latency of the real server-filesystem:
// direct vs through `mcp-warden run --profile none` vs `--profile bwrap`, all in one run so the
// ratios are comparable on a noisy shared machine. Modes are interleaved round by round.
// Writes bench/results.md and prints the same table. Options: --rounds N (cold starts per mode),
// --calls N (calls per mode for latency).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
// The built entry, as users run it (npm run bench builds first).
const warden = path.join(repo, 'dist', 'cli', 'main.js');
const fsServer = path.join(
  repo,
  'node_modules',
  '@modelcontextprotocol',
  'server-filesystem',
  'dist',
  'index.js',
);

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    calls: { type: 'string', default: '300' },
    modes: { type: 'string', default: 'direct,none,bwrap,docker,gvisor,isolate' },
  },
});
const rounds = Number(values.rounds);
const calls = Number(values.calls);

/** `direct` (the server alone) or a warden profile name. */
type Mode = string;
const requestedModes: Mode[] = String(values.modes).split(',').filter(Boolean);

function commandFor(mode: Mode, root: string): { command: string; args: string[] } {
  const server = [fsServer, root];
  if (mode === 'direct') return { command: process.execPath, args: server };
  return {
    command: process.execPath,
    args: [warden, 'run', '--profile', mode, '--root', root, '--', process.execPath, ...server],
  };
}

async function connect(mode: Mode, root: string): Promise<{ client: Client; ms: number }> {
  const { command, args } = commandFor(mode, root);
  const transport = new StdioClientTransport({
    command,
    args,
    stderr: 'ignore',
    env: { PATH: process.env.PATH ?? '', MCP_WARDEN_LOG_LEVEL: 'silent' },
  });
  const client = new Client({ name: 'bench', version: '1' });
  const start = performance.now();
  await client.connect(transport); // spawn → initialize result (+ initialized notification)
  return { client, ms: performance.now() - start };
}

function stats(samples: number[]): { median: number; p99: number; min: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: at(0.5), p99: at(0.99), min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN };
}

const skipped = new Map<Mode, string>();

/**
 * The requested modes that work on this machine: each profile gets one trial session (which also warms
 * caches and builds images, so no cold start below pays for a first-time setup). A profile that cannot
 * run here is listed in the table with the reason instead of failing the benchmark.
 */
async function availableModes(root: string): Promise<Mode[]> {
  const usable: Mode[] = [];
  for (const mode of requestedModes) {
    try {
      const { client } = await connect(mode, root);
      await client.close();
      usable.push(mode);
    } catch (error) {
      skipped.set(mode, (error as Error).message.split('\n')[0] ?? 'failed to start');
    }
  }
  return usable;
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'warden-bench-'));
  writeFileSync(path.join(root, 'small.txt'), 'hello from the benchmark\n'.repeat(8));
  const modes = await availableModes(root);
  const cold: Record<Mode, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
  const latency: Record<Mode, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const mode of modes) {
        const { client, ms } = await connect(mode, root);
        cold[mode]?.push(ms);
        await client.close();
      }
    }
    // Latency: one session per mode, calls interleaved in blocks of 10 across modes.
    const clients = new Map<Mode, Client>();
    for (const mode of modes) clients.set(mode, (await connect(mode, root)).client);
    const file = path.join(root, 'small.txt');
    for (const client of clients.values()) {
      for (let i = 0; i < 20; i++)
        await client.callTool({ name: 'read_text_file', arguments: { path: file } });
    }
    for (let block = 0; block < calls / 10; block++) {
      for (const mode of modes) {
        const client = clients.get(mode);
        if (!client) continue;
        for (let i = 0; i < 10; i++) {
          const start = performance.now();
          await client.callTool({ name: 'read_text_file', arguments: { path: file } });
          latency[mode]?.push(performance.now() - start);
        }
      }
    }
    for (const client of clients.values()) await client.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const f = (n: number): string => n.toFixed(2);
  const direct = { cold: stats(cold.direct ?? []), lat: stats(latency.direct ?? []) };
  const lines = [
    `# mcp-warden benchmark`,
    '',
    `server-filesystem (${path.basename(fsServer)}), node ${process.version}, ${os.cpus().length} cores; ` +
      `${rounds} cold starts and ${calls} read_text_file calls per mode, interleaved; times in ms.`,
    '',
    '| mode | cold start median (min–max) | vs direct | call median (min–max) | call p99 | median vs direct |',
    '|---|---|---|---|---|---|',
  ];
  for (const mode of modes) {
    const c = stats(cold[mode] ?? []);
    const l = stats(latency[mode] ?? []);
    lines.push(
      `| ${mode} | ${f(c.median)} (${f(c.min)}–${f(c.max)}) | +${f(c.median - direct.cold.median)} | ` +
        `${f(l.median)} (${f(l.min)}–${f(l.max)}) | ${f(l.p99)} | ${(l.median / direct.lat.median).toFixed(3)}× |`,
    );
  }
  for (const [mode, reason] of skipped) lines.push(`| ${mode} | not run here: ${reason} | | | | |`);
  const bw = { cold: stats(cold.bwrap ?? []), lat: stats(latency.bwrap ?? []) };
  lines.push(
    '',
    'Targets (issue 2): the warden adds under 10% to the median per-call latency and under 50 ms to cold start on bwrap.',
    `- bwrap per-call median: ${((bw.lat.median / direct.lat.median - 1) * 100).toFixed(1)}% over direct ` +
      `(${bw.lat.median / direct.lat.median < 1.1 ? 'met' : 'MISSED'})`,
    `- bwrap cold start: +${f(bw.cold.median - direct.cold.median)} ms over direct ` +
      `(${bw.cold.median - direct.cold.median < 50 ? 'met' : 'MISSED'})`,
    '',
  );
  const text = lines.join('\n');
  writeFileSync(path.join(here, 'results.md'), text);
  process.stdout.write(text);
}

await main();
