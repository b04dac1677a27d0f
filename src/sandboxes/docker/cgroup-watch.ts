import { type FSWatcher, readFileSync, watch } from 'node:fs';
import path from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';
// Fast enough to see a fork bomb near the limit: under gVisor the sandbox dies tens of milliseconds
// after its first refused fork, taking its cgroup (and the evidence) with it.
const POLL_MS = 50;

/**
 * Pure: the directory of a controller's cgroup (`pids`, `memory`) in /proc/PID/cgroup text: its v1
 * hierarchy, else the v2 unified one. Undefined when neither is listed.
 */
export function cgroupDir(procCgroup: string, controller: string, root = CGROUP_ROOT): string | undefined {
  let unified: string | undefined;
  for (const line of procCgroup.split('\n')) {
    const [, controllers, cgroupPath] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers === undefined || cgroupPath === undefined) continue;
    if (controllers.split(',').includes(controller)) return path.join(root, controller, cgroupPath);
    if (controllers === '') unified = path.join(root, cgroupPath);
  }
  return unified;
}

/**
 * Pure: how often the memory limit was hit, from cgroup v1 `memory.failcnt` text or v2 `memory.events`
 * text (`max` + `oom_kill` lines); 0 when absent.
 */
export function parseMemoryHits(text: string): number {
  const v2 = [...text.matchAll(/^(?:max|oom_kill) (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  if (v2 > 0) return v2;
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : 0;
}

/** Pure: the `max` counter of a pids.events file (how many forks the limit refused); 0 when absent. */
export function parsePidsEvents(text: string): number {
  const match = /^max (\d+)$/m.exec(text);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

/** Watches one container's pids and memory cgroups for hits of their limits. */
export interface CgroupWatch {
  /** The highest refused-fork count seen so far (0: the limit was never hit, or nothing was readable). */
  refused(): number;
  /** The most tasks seen at once, and the limit (0 when unreadable or unlimited). */
  peak(): { tasks: number; limit: number };
  /** How often the memory limit was hit so far (0: never, or unreadable). */
  memoryHits(): number;
  close(): void;
}

/**
 * Watch the pids cgroup of host process `pid` (the container's init): `onLimit` is called once, the first
 * time the kernel refuses a fork because of the pids limit. Uses inotify on pids.events (the kernel
 * signals changes to it) with a slow poll as a fallback. A host where the cgroup cannot be read (a
 * remote engine) yields a watch that never fires.
 */
export function watchCgroupLimits(pid: number, onLimit: (refused: number) => void): CgroupWatch {
  let dir: string | undefined;
  let memoryFile: string | undefined;
  try {
    const procCgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    dir = cgroupDir(procCgroup, 'pids');
    const memoryDir = cgroupDir(procCgroup, 'memory');
    if (memoryDir !== undefined) {
      memoryFile = path.join(memoryDir, memoryDir.includes('/memory/') ? 'memory.failcnt' : 'memory.events');
    }
  } catch {
    dir = undefined;
  }
  let memoryHits = 0;
  const file = dir === undefined ? undefined : path.join(dir, 'pids.events');
  let refused = 0;
  let tasks = 0;
  let limit = 0;
  let fired = false;
  const check = (): void => {
    if (file === undefined || dir === undefined) return;
    try {
      refused = Math.max(refused, parsePidsEvents(readFileSync(file, 'utf8')));
      tasks = Math.max(tasks, Number(readFileSync(path.join(dir, 'pids.current'), 'utf8')) || 0);
      if (limit === 0) limit = Number(readFileSync(path.join(dir, 'pids.max'), 'utf8')) || 0;
      if (memoryFile !== undefined)
        memoryHits = Math.max(memoryHits, parseMemoryHits(readFileSync(memoryFile, 'utf8')));
    } catch {
      return; // The cgroup is gone with the container.
    }
    if (refused > 0 && !fired) {
      fired = true;
      onLimit(refused);
    }
  };
  let watcher: FSWatcher | undefined;
  if (file !== undefined) {
    try {
      watcher = watch(file, { persistent: false }, check);
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined;
    }
  }
  const timer = setInterval(check, POLL_MS);
  timer.unref();
  check();
  return {
    refused: () => {
      check();
      return refused;
    },
    peak: () => ({ tasks, limit }),
    memoryHits: () => memoryHits,
    close: () => {
      clearInterval(timer);
      watcher?.close();
    },
  };
}
