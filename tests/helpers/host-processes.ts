// The host's process table for tests that look for what a warden, a sandbox or a server left running,
// or check what was (not) put in a process's argv. Reads /proc; no vitest import, so the global setup
// (leak-check.ts) can use it too.
import { readdirSync, readFileSync } from 'node:fs';

/** A host process as /proc shows it. */
export interface HostProcess {
  pid: number;
  ppid: number;
  /** The one-letter state of /proc/PID/stat (R, S, Z, ...). */
  state: string;
  /** The arguments, each followed by a NUL; empty for a zombie or a kernel thread. */
  cmdline: string;
}

/**
 * Every host process other than this one that `keep` accepts (all of them without `keep`). A process
 * that exits while it is read is left out.
 */
export function hostProcesses(keep?: (proc: HostProcess) => boolean): HostProcess[] {
  const found: HostProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
      const [state = '', ppid = '0'] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const proc = { pid: Number(name), ppid: Number(ppid), state, cmdline };
      if (keep === undefined || keep(proc)) found.push(proc);
    } catch {
      // Exited between readdir and read.
    }
  }
  return found;
}
