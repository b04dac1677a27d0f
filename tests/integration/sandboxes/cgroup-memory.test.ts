// The memory side of the cgroup watch against the real kernel: a process OOM-killed in a memory cgroup
// the test makes (as root), read the way a container's is. Regression: the watch read only v1's
// memory.failcnt, which this kernel leaves at 0 on an OOM kill with no swap, so a gVisor container killed
// at its limit without the engine's OOM flag was reported as a plain exit.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { watchCgroupLimits } from '../../../src/sandboxes/docker/cgroup-watch.ts';
import { memoryVerdict } from '../../../src/sandboxes/docker/container-sandbox.ts';

const MiB = 2 ** 20;
const LIMIT = 96 * MiB;

/** Where a memory cgroup can be made here: v1's memory hierarchy, or v2 with the controller delegated. */
function memoryHierarchy(): { kind: 'v1' | 'v2'; root: string } | { kind: 'none'; why: string } {
  if (process.getuid?.() !== 0) return { kind: 'none', why: 'not root' };
  if (existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')) {
    return { kind: 'v1', root: '/sys/fs/cgroup/memory' };
  }
  const subtree = '/sys/fs/cgroup/cgroup.subtree_control';
  if (existsSync(subtree) && readFileSync(subtree, 'utf8').split(/\s+/).includes('memory')) {
    return { kind: 'v2', root: '/sys/fs/cgroup' };
  }
  return { kind: 'none', why: 'no writable memory cgroup hierarchy' };
}

const hierarchy = memoryHierarchy();

/** A fresh memory cgroup limited to LIMIT with no swap. */
function makeCgroup(kind: 'v1' | 'v2', root: string): string {
  const dir = path.join(root, `mcp-warden-test-${process.pid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir);
  if (kind === 'v1') {
    writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(LIMIT));
    const memsw = path.join(dir, 'memory.memsw.limit_in_bytes');
    if (existsSync(memsw)) writeFileSync(memsw, String(LIMIT));
  } else {
    writeFileSync(path.join(dir, 'memory.max'), String(LIMIT));
    const swap = path.join(dir, 'memory.swap.max');
    if (existsSync(swap)) writeFileSync(swap, '0');
  }
  return dir;
}

describe.runIf(hierarchy.kind !== 'none')(
  `memory cgroup watch on the real kernel (${hierarchy.kind === 'none' ? `SKIPPED: ${hierarchy.why}` : hierarchy.kind})`,
  () => {
    it('sees a process killed at its memory limit, and keeps the evidence after the cgroup is gone', async () => {
      if (hierarchy.kind === 'none') return;
      const dir = makeCgroup(hierarchy.kind, hierarchy.root);
      // Waits for a line on stdin, then allocates 32 MiB every 5 ms, as the hostile server's hog does.
      const hog = spawn(
        process.execPath,
        [
          '-e',
          `process.stdin.once('data', () => { const h = []; setInterval(() => {
             for (let i = 0; i < 4; i++) h.push(Buffer.alloc(8 * 1024 * 1024, 1)); }, 5); });`,
        ],
        { stdio: ['pipe', 'ignore', 'ignore'] },
      );
      try {
        const pid = hog.pid as number;
        writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
        const watch = watchCgroupLimits(pid, () => undefined);
        const exited = new Promise<NodeJS.Signals | null>((resolve) =>
          hog.once('exit', (_code, signal) => resolve(signal)),
        );
        hog.stdin.write('go\n');
        expect(await exited).toBe('SIGKILL');

        const seen = watch.memory();
        expect(seen.limit).toBe(LIMIT);
        expect(seen.hits).toBeGreaterThan(0);
        expect(seen.peak).toBeGreaterThanOrEqual(LIMIT * 0.9);
        expect(memoryVerdict(false, seen, 137)?.kind).toBe('memory');

        // The container's cgroup goes with it: what was seen stays.
        rmdirSync(dir);
        expect(watch.memory()).toEqual(seen);
        watch.close();
      } finally {
        hog.kill('SIGKILL');
        if (existsSync(dir)) rmdirSync(dir);
      }
    }, 30_000);
  },
);
