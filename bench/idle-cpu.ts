// What a wrapped server costs while nobody uses it: the CPU time (utime + stime from /proc) the spawned
// process uses per second of idle, after `initialize` and `tools/list` and a settling pause (4 s by default; V8's memory
// reducer runs a few full collections in the first half minute of idle), modes interleaved, medians of
// N rounds. For `docker` and `gvisor` this is the warden alone: the container runs under the engine.
// Usage: node bench/idle-cpu.ts [MODES] [ROUNDS] [SECONDS] [SETTLE_SECONDS]
//   MODES: comma-separated variants (launchForVariant in bench/lib/modes.ts), e.g.
//   bwrap,docker,docker:WJS=/tmp/old/dist/cli/main.js.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FS_SERVER, launchForVariant } from './lib/modes.ts';
import { cpuSeconds } from './lib/proc-stats.ts';
import { openRaw } from './lib/raw-session.ts';

const modes = (process.argv[2] ?? 'direct,none,bwrap,docker,gvisor').split(',');
const rounds = Number(process.argv[3] ?? 3);
const seconds = Number(process.argv[4] ?? 20);
const settleMs = Number(process.argv[5] ?? 4) * 1000;
const root = mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-idle-cpu-'));
const spec = { script: FS_SERVER, args: [root], env: {}, root };

/** ms of CPU per second of idle of one launch of `mode`, after `initialize` and `tools/list`. */
async function once(mode: string): Promise<number> {
  const session = await openRaw(launchForVariant(mode, spec));
  try {
    await sleep(settleMs);
    const pid = session.child.pid ?? -1;
    const before = cpuSeconds(pid);
    await sleep(seconds * 1000);
    return ((cpuSeconds(pid) - before) * 1000) / seconds;
  } finally {
    await session.close();
  }
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const results = new Map(modes.map((mode) => [mode, [] as number[]]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes) results.get(mode)?.push(await once(mode));
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
console.log(
  `medians of ${rounds} rounds of ${seconds} s idle, ${settleMs / 1000} s after initialize and tools/list (server-filesystem)`,
);
for (const [mode, used] of results) {
  const range = `${Math.min(...used).toFixed(1)}–${Math.max(...used).toFixed(1)}`;
  console.log(`${mode.padEnd(44)} ${median(used).toFixed(1)} ms CPU per second (${range})`);
}
