// Cold start alone, for quick comparisons: spawn → the `initialize` result of server-filesystem over
// raw stdio, modes interleaved, medians of N rounds, plus the spawned process's CPU time (utime + stime
// from /proc) when the answer arrives. `npm run bench` (bench/run.ts) reports the same figure through
// the SDK client; this one is for A/B runs of two builds in one run.
// Usage: node bench/cold-start.ts [MODES] [ROUNDS]
//   MODES: comma-separated variants (launchForVariant in bench/lib/modes.ts), e.g.
//   direct,bwrap,bwrap:WJS=/tmp/old/dist/cli/main.js,bwrap:MCP_WARDEN_NO_FAST_START=1.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FS_SERVER, launchForVariant } from './lib/modes.ts';

const modes = (process.argv[2] ?? 'direct,relay,none,bwrap').split(',');
const rounds = Number(process.argv[3] ?? 10);
const root = mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-cold-start-'));
writeFileSync(path.join(root, 'small.txt'), 'hello\n');
const spec = { script: FS_SERVER, args: [root], env: {}, root };
const INITIALIZE = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
})}\n`;

/** CPU time (ms) the process used so far; NaN once it is gone. */
function cpuMs(pid: number): number {
  try {
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
  } catch {
    return Number.NaN;
  }
}

async function once(mode: string): Promise<{ ms: number; cpu: number }> {
  const { command, args, env } = launchForVariant(mode, spec);
  const start = performance.now();
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.write(INITIALIZE);
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('\n')) resolve();
    });
    void exited.then(() => reject(new Error(`${mode} exited before answering initialize`)));
  });
  const ms = performance.now() - start;
  const cpu = cpuMs(child.pid ?? -1);
  child.stdin.end();
  await exited;
  return { ms, cpu };
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const results = new Map(modes.map((mode) => [mode, { ms: [] as number[], cpu: [] as number[] }]));
try {
  for (const mode of modes) await once(mode); // warm the caches every mode has
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes) {
      const { ms, cpu } = await once(mode);
      results.get(mode)?.ms.push(ms);
      results.get(mode)?.cpu.push(cpu);
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const base = median(results.get(modes[0] ?? '')?.ms ?? []);
console.log(
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; medians of ${rounds}, vs ${modes[0]}`,
);
for (const [mode, { ms, cpu }] of results) {
  const m = median(ms);
  console.log(
    `${mode.padEnd(44)} start ${m.toFixed(1)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)}), ${m - base >= 0 ? '+' : ''}${(m - base).toFixed(1)} ms; process CPU at the answer ${median(cpu).toFixed(0)} ms`,
  );
}
