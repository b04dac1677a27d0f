import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Label present on every container the warden creates; its value is the owning warden (ownerId). */
export const OWNER_LABEL = 'dev.mcp-warden.owner';
/** Label naming the backend profile (docker or gvisor), for `docker ps` readers. */
export const BACKEND_LABEL = 'dev.mcp-warden.backend';

/** The identity of one warden process: host, boot, pid and the pid's start time (pids are reused). */
export interface Owner {
  host: string;
  bootId: string;
  pid: number;
  startTime: string;
}

/** This warden's identity; fields that cannot be read (non-Linux hosts) are empty strings. */
export function currentOwner(): Owner {
  return {
    host: os.hostname(),
    bootId: readBootId(),
    pid: process.pid,
    startTime: processStartTime(process.pid),
  };
}

/** Pure: the label value for `owner`. */
export function formatOwner(owner: Owner): string {
  return `${owner.host}/${owner.bootId}/${owner.pid}/${owner.startTime}`;
}

/** Pure: parse a label value written by formatOwner; undefined when it is not one. */
export function parseOwner(value: string): Owner | undefined {
  const parts = value.split('/');
  if (parts.length !== 4) return undefined;
  const [host, bootId, pid, startTime] = parts as [string, string, string, string];
  if (!/^\d+$/.test(pid)) return undefined;
  return { host, bootId, pid: Number(pid), startTime };
}

/**
 * Pure decision: may a container owned by `owner` be reaped by `self`? Only containers of this host
 * (a daemon may be shared by several machines) whose warden is gone: another boot, or no process with
 * that pid and start time. `startTimeOf` reads a pid's start time ('' when there is no such process).
 */
export function isOrphaned(owner: Owner, self: Owner, startTimeOf: (pid: number) => string): boolean {
  if (owner.host !== self.host) return false;
  if (owner.bootId !== self.bootId) return true;
  if (owner.pid === self.pid && owner.startTime === self.startTime) return false;
  const live = startTimeOf(owner.pid);
  return live === '' || live !== owner.startTime;
}

/**
 * The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat); '' if unknown, or if
 * the process is a zombie: it has died, only its exit status waits for a parent (or an init that is
 * slow to reap) to collect it.
 */
export function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return '';
    return fields[19] ?? '';
  } catch {
    return '';
  }
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}
