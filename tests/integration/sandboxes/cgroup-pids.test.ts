// The pids side of the cgroup watch against the real kernel: a shell that forks past the limit of a pids
// cgroup the test makes (as root). On cgroup v1 the kernel does not signal pids.events to inotify (this
// kernel, 6.18), so the refusal is seen only by the watch's poll; this test fails if the poll stops
// reading the pids counters.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { watchCgroupLimits } from '../../../src/sandboxes/docker/cgroup-watch.ts';
import { pidsVerdict } from '../../../src/sandboxes/docker/container-sandbox.ts';

const LIMIT = 4;

/** Where a pids cgroup can be made here: v1's pids hierarchy, or v2 with the controller delegated. */
function pidsRoot(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (existsSync('/sys/fs/cgroup/pids/pids.max') || existsSync('/sys/fs/cgroup/pids/cgroup.procs')) {
    return '/sys/fs/cgroup/pids';
  }
  const subtree = '/sys/fs/cgroup/cgroup.subtree_control';
  if (existsSync(subtree) && readFileSync(subtree, 'utf8').split(/\s+/).includes('pids')) {
    return '/sys/fs/cgroup';
  }
  return undefined;
}

const root = pidsRoot();

describe.runIf(root !== undefined)(
  `pids cgroup watch on the real kernel (${root ?? 'SKIPPED: no pids hierarchy as root'})`,
  () => {
    it('sees the forks the limit refused, in time for the verdict', async () => {
      if (root === undefined) return;
      const dir = path.join(root, `mcp-warden-test-${process.pid}-${randomBytes(3).toString('hex')}`);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'pids.max'), String(LIMIT));
      // Waits for a line on stdin, then starts more sleepers than the limit allows, and waits for them.
      const shell = spawn('sh', ['-c', 'read go; for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait'], {
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      try {
        writeFileSync(path.join(dir, 'cgroup.procs'), String(shell.pid));
        const watch = watchCgroupLimits(shell.pid as number, () => undefined);
        const exited = new Promise<void>((resolve) => shell.once('exit', () => resolve()));
        shell.stdin.write('go\n');
        // The shell gives up at its first refused fork, often before the next poll. The sandbox reads
        // its verdict as here: once the container has exited, after close.
        await exited;
        watch.close();
        expect(watch.refused()).toBeGreaterThan(0);
        expect(watch.peak().limit).toBe(LIMIT);
        expect(pidsVerdict(watch, 0)?.kind).toBe('pids');
      } finally {
        shell.kill('SIGKILL');
        // The sleepers outlive the shell; the cgroup goes once they are gone.
        await removeWhenEmpty(dir);
      }
    }, 30_000);
  },
);

async function removeWhenEmpty(dir: string): Promise<void> {
  const procs = readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean);
  for (const pid of procs) process.kill(Number(pid), 'SIGKILL');
  for (let tries = 0; tries < 100 && existsSync(dir); tries++) {
    try {
      rmdirSync(dir);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  expect(existsSync(dir)).toBe(false);
}
