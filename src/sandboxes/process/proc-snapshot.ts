import { readdirSync, readFileSync } from 'node:fs';

/** One process as seen in /proc/PID/stat. `startTime` (clock ticks since boot) guards against pid reuse. */
export interface ProcEntry {
  pid: number;
  /** R, S, D, Z (zombie: dead, only waiting to be reaped)... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  startTime: string;
}

/** pid → entry for every process visible now. Empty on systems without /proc (then no sweep happens). */
export type ProcSnapshot = Map<number, ProcEntry>;

/**
 * Parse the content of /proc/PID/stat. The command name (field 2) is in parentheses and may itself
 * contain spaces and ')', so fields are counted from the last ')'. Returns undefined for garbage.
 */
export function parseProcStat(pid: number, text: string): ProcEntry | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ")": state(3) ppid(4) pgrp(5) session(6) ... starttime(22).
  const fields = text.slice(close + 2).split(' ');
  const state = fields[0] ?? '';
  const ppid = Number(fields[1]);
  const pgrp = Number(fields[2]);
  const session = Number(fields[3]);
  const startTime = fields[19];
  if (!Number.isInteger(ppid) || !Number.isInteger(pgrp) || !Number.isInteger(session) || !startTime) {
    return undefined;
  }
  return { pid, state, ppid, pgrp, session, startTime };
}

/** Read every /proc/PID/stat synchronously (usable from 'exit' handlers). Vanished processes are skipped. */
export function readProcSnapshot(): ProcSnapshot {
  const snapshot: ProcSnapshot = new Map();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return snapshot;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const entry = parseProcStat(pid, readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (entry) snapshot.set(pid, entry);
    } catch {
      // The process exited between readdir and read.
    }
  }
  return snapshot;
}

/**
 * Pure: every process in `snapshot` that descends from `rootPid` through ppid links, or that is
 * still in its process group or session (the leader may already be gone and its children
 * reparented). Processes that both re-parented and left the session (a double-forking daemon)
 * cannot be found this way; the bwrap backend's pid namespace covers that case. `rootPid` itself
 * is not included.
 */
export function collectDescendants(snapshot: ProcSnapshot, rootPid: number): ProcEntry[] {
  const children = new Map<number, ProcEntry[]>();
  for (const entry of snapshot.values()) {
    const list = children.get(entry.ppid);
    if (list) list.push(entry);
    else children.set(entry.ppid, [entry]);
  }
  const found = new Map<number, ProcEntry>();
  const queue: number[] = [rootPid];
  for (const entry of snapshot.values()) {
    if (entry.pid !== rootPid && (entry.pgrp === rootPid || entry.session === rootPid)) {
      found.set(entry.pid, entry);
      queue.push(entry.pid);
    }
  }
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    for (const child of children.get(pid) ?? []) {
      if (child.pid === rootPid || found.has(child.pid)) continue;
      found.set(child.pid, child);
      queue.push(child.pid);
    }
  }
  return [...found.values()];
}

/**
 * Every process in `snapshot` whose environment contains exactly `marker` ("NAME=value"). Finds a
 * sandbox's leftovers that re-parented and left its session (double-forked daemons), as long as they
 * kept the environment they inherited. Unreadable environments (other users, exited) are skipped.
 */
export function findByEnvironMarker(snapshot: ProcSnapshot, marker: string): ProcEntry[] {
  const needle = Buffer.from(`\0${marker}\0`);
  const found: ProcEntry[] = [];
  for (const entry of snapshot.values()) {
    try {
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${entry.pid}/environ`)]);
      if (environ.includes(needle)) found.push(entry);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}
