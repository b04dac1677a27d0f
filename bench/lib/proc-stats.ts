// What /proc says about processes: memory (RSS, PSS), who is below whom, who carries a marker, and the
// load average. Linux only; a process that exits while being read counts as absent.
import { readdirSync, readFileSync } from 'node:fs';

function pids(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Resident set of `pid` in KiB (VmRSS), 0 when it is gone. */
export function rssKib(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`) ?? '')?.[1] ?? 0);
}

/** Proportional set of `pid` in KiB (shared pages split among their users), 0 when gone or unreadable. */
export function pssKib(pid: number): number {
  return Number(/^Pss:\s+(\d+) kB/m.exec(read(`/proc/${pid}/smaps_rollup`) ?? '')?.[1] ?? 0);
}

/** Host pids other than this process whose command line contains `marker` (zombies have none). */
export function processesWith(marker: string): number[] {
  return pids().filter((pid) => pid !== process.pid && (read(`/proc/${pid}/cmdline`) ?? '').includes(marker));
}

/** Every process below `roots` (by parent pid): the sandboxes and what they started. */
export function descendants(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const pid of pids()) {
    const stat = read(`/proc/${pid}/stat`);
    if (stat === undefined) continue;
    // Field 4 of stat, after the parenthesised command name (which may hold spaces).
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [...roots];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** CPU time `pid` has used so far (user + system, its own threads; not its children), seconds. */
export function cpuSeconds(pid: number): number {
  const stat = read(`/proc/${pid}/stat`) ?? '';
  // utime and stime are fields 14 and 15; fields from 3 on follow the parenthesised name.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Linux reports them in USER_HZ, 100 per second on every architecture Node runs on.
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
}

/** The 1-, 5- and 15-minute load averages, as /proc/loadavg prints them. */
export function loadAverage(): string {
  return (read('/proc/loadavg') ?? '').split(' ').slice(0, 3).join(' ');
}
