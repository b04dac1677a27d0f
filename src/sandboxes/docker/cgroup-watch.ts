import { type FSWatcher, readFileSync, watch } from 'node:fs';
import path from 'node:path';
import { CgroupFiles } from './cgroup-files.ts';

const CGROUP_ROOT = '/sys/fs/cgroup';
// Fast enough to see a fork bomb near the limit: under gVisor the sandbox dies tens of milliseconds
// after its first refused fork, taking its cgroup (and the evidence) with it.
const POLL_MS = 50;
// Near its memory limit a container is read faster: killed at the limit, its cgroup is gone 45-150 ms
// later (measured under gVisor here), and usage climbs from half the limit to all of it in about 120 ms.
const FAST_POLL_MS = 10;
const FAST_POLL_FRACTION = 0.5;
// runc: a refused fork leaves the container running until the watch sees it (the kill waits at most
// this long: the kernel's limit holds meanwhile), and the engine's OOM flag is reliable, so no memory
// evidence has to be caught before it vanishes. Four wakeups a second instead of twenty to a hundred:
// on this VM each wakeup of an idle Node costs ~0.2 ms of CPU.
const RELAXED_POLL_MS = 250;
/** Every this many polls the memory cgroup is read whole (see checkMemory in watchCgroupLimits). */
const FULL_EVERY = 10;

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
 * Pure: how often the memory limit was hit, from any of the memory cgroup's counter files: v1
 * `memory.failcnt` / `memory.memsw.failcnt` (a bare number), v1 `memory.oom_control` or v2 `memory.events`
 * (their `max` and `oom_kill` lines). 0 when absent. On a v1 limit with no swap the kernel can OOM-kill
 * with both failcnts still 0: `oom_kill` is the counter that moves.
 */
export function parseMemoryHits(text: string): number {
  const counted = [...text.matchAll(/^(?:max|oom_kill) (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  if (counted > 0) return counted;
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : 0;
}

/** Pure: a byte count from a memory cgroup file; 0 for `max` (v2's "no limit") or anything unreadable. */
export function parseBytes(text: string): number {
  const value = Number(text.trim());
  // v1 spells "no limit" as a page-rounded 2^63 - 1.
  return Number.isFinite(value) && value > 0 && value < 2 ** 62 ? value : 0;
}

/** The pids cgroup files read (the same names in v1 and v2). */
interface PidsFiles {
  /** The refused-fork counter (`max N`). */
  events: string;
  current: string;
  limit: string;
}

function pidsFiles(dir: string): PidsFiles {
  return {
    events: path.join(dir, 'pids.events'),
    current: path.join(dir, 'pids.current'),
    limit: path.join(dir, 'pids.max'),
  };
}

/** The memory cgroup files read, by hierarchy (v1 `memory` controller, or v2 unified). */
interface MemoryFiles {
  counters: string[];
  usage: string;
  /** The kernel-kept high-water mark, when the kernel has one. */
  peak: string;
  limit: string;
}

function memoryFiles(dir: string): MemoryFiles {
  const file = (name: string): string => path.join(dir, name);
  if (dir.includes('/memory/')) {
    return {
      counters: [file('memory.oom_control'), file('memory.failcnt'), file('memory.memsw.failcnt')],
      usage: file('memory.usage_in_bytes'),
      peak: file('memory.max_usage_in_bytes'),
      limit: file('memory.limit_in_bytes'),
    };
  }
  return {
    counters: [file('memory.events')],
    usage: file('memory.current'),
    peak: file('memory.peak'),
    limit: file('memory.max'),
  };
}

/**
 * How closely a container is watched. `prompt` where the evidence vanishes with the sandbox: gVisor's
 * Sentry dies at its first refused host thread and its cgroup goes with it, and runsc does not always
 * set the engine's OOM flag. `relaxed` where the container outlives a refused fork and the engine's OOM
 * flag holds (runc).
 */
export type WatchPace = 'prompt' | 'relaxed';

/** Pure: how often to read the cgroups, by pace and by how close memory usage is to the limit. */
export function memoryPollMs(usage: number, limit: number, pace: WatchPace = 'prompt'): number {
  if (pace === 'relaxed') return RELAXED_POLL_MS;
  return limit > 0 && usage >= limit * FAST_POLL_FRACTION ? FAST_POLL_MS : POLL_MS;
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
  /**
   * The memory limit's evidence so far: how often it was hit, the highest usage seen and the limit, in
   * bytes (0 when unreadable or unlimited).
   */
  memory(): { hits: number; peak: number; limit: number };
  close(): void;
}

/**
 * Watch the pids cgroup of host process `pid` (the container's init): `onLimit` is called once, the first
 * time the kernel refuses a fork because of the pids limit. pids.events is watched with inotify, which
 * sees a refusal at once where the kernel signals changes to it (cgroup v2; v1 does not: measured on this
 * kernel, 6.18), and polled. The memory cgroup is polled for the evidence `memory()` gives, faster near the
 * limit at the `prompt` pace (memoryPollMs). The files stay open between polls (CgroupFiles). A host where
 * the cgroups cannot be read (a remote engine) yields a watch that never fires and reports nothing.
 */
export function watchCgroupLimits(
  pid: number,
  onLimit: (refused: number) => void,
  pace: WatchPace = 'prompt',
): CgroupWatch {
  let pids: PidsFiles | undefined;
  let memory: MemoryFiles | undefined;
  try {
    const procCgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    const pidsDir = cgroupDir(procCgroup, 'pids');
    if (pidsDir !== undefined) pids = pidsFiles(pidsDir);
    const memoryDir = cgroupDir(procCgroup, 'memory');
    if (memoryDir !== undefined) memory = memoryFiles(memoryDir);
  } catch {
    pids = undefined;
  }
  let refused = 0;
  let tasks = 0;
  let limit = 0;
  let fired = false;
  const files = new CgroupFiles();
  const check = (report = true): void => {
    if (pids === undefined) return;
    // '' once the cgroup is gone with the container: nothing seen lowers what was seen.
    refused = Math.max(refused, parsePidsEvents(files.read(pids.events)));
    tasks = Math.max(tasks, Number(files.read(pids.current)) || 0);
    if (limit === 0) limit = Number(files.read(pids.limit)) || 0;
    if (report && refused > 0 && !fired) {
      fired = true;
      onLimit(refused);
    }
  };

  const memorySeen = { hits: 0, peak: 0, limit: 0, usage: 0 };
  let closed = false;
  // A usual read takes the usage and the first counter file only (the OOM-kill count); the rest (the
  // failcnts, the kernel's high-water mark) every FULL_EVERY polls. Near the limit (prompt pace), polls
  // come every 10 ms and the pids counters are still read every 50 ms: a server whose page cache keeps
  // it above half its limit (v1 counts the cache) costs two reads per poll.
  const checkMemory = (full: boolean): void => {
    if (memory === undefined) return;
    if (memorySeen.limit === 0) memorySeen.limit = parseBytes(files.read(memory.limit));
    const counters = full ? memory.counters : memory.counters.slice(0, 1);
    const hits = counters.reduce((sum, name) => sum + parseMemoryHits(files.read(name)), 0);
    memorySeen.hits = Math.max(memorySeen.hits, hits);
    memorySeen.usage = parseBytes(files.read(memory.usage));
    const kept = full ? parseBytes(files.read(memory.peak)) : 0;
    memorySeen.peak = Math.max(memorySeen.peak, memorySeen.usage, kept);
  };
  let polls = 0;
  let timer: NodeJS.Timeout | undefined;
  const poll = (): void => {
    polls++;
    const fast = memoryPollMs(memorySeen.usage, memorySeen.limit, pace) === FAST_POLL_MS;
    if (!fast || polls % (POLL_MS / FAST_POLL_MS) === 0) check();
    checkMemory(polls % FULL_EVERY === 0);
    if (closed) return;
    timer = setTimeout(poll, memoryPollMs(memorySeen.usage, memorySeen.limit, pace));
    timer.unref();
  };

  let watcher: FSWatcher | undefined;
  if (pids !== undefined) {
    try {
      watcher = watch(pids.events, { persistent: false }, () => check());
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined;
    }
  }
  check();
  checkMemory(true);
  // Nothing readable (a remote engine): nothing to poll.
  if (pids !== undefined || memory !== undefined) {
    timer = setTimeout(poll, memoryPollMs(memorySeen.usage, memorySeen.limit, pace));
    timer.unref();
  }
  return {
    refused: () => {
      check();
      return refused;
    },
    peak: () => ({ tasks, limit }),
    memory: () => {
      if (!closed) checkMemory(true);
      return { hits: memorySeen.hits, peak: memorySeen.peak, limit: memorySeen.limit };
    },
    close: () => {
      // The last look while the cgroup may still be there (refused() reads nothing after this); a
      // refusal seen only now is the verdict's to report: the container has exited.
      check(false);
      closed = true;
      clearTimeout(timer);
      watcher?.close();
      files.close();
    },
  };
}
