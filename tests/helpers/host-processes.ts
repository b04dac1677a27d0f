// The host's process table for tests that look for what a warden, a sandbox or a server left running,
// or check what was (not) put in a process's argv. The warden's own /proc reader (proc-snapshot.ts)
// plus each command line; no vitest import, so the global setup (leak-check.ts) can use it too.
import { readFileSync } from 'node:fs';
import { type ProcEntry, readProcSnapshot } from '../../src/sandboxes/process/proc-snapshot.ts';

/** A host process as /proc shows it: its stat fields and its command line. */
export interface HostProcess extends ProcEntry {
  /** The arguments, each followed by a NUL; empty for a zombie or a kernel thread. */
  cmdline: string;
}

/**
 * Every host process other than this one that `keep` accepts (all of them without `keep`). A process
 * that exits while it is read is left out.
 */
export function hostProcesses(keep?: (proc: HostProcess) => boolean): HostProcess[] {
  const found: HostProcess[] = [];
  for (const entry of readProcSnapshot().values()) {
    if (entry.pid === process.pid) continue;
    try {
      const proc = { ...entry, cmdline: readFileSync(`/proc/${entry.pid}/cmdline`, 'utf8') };
      if (keep === undefined || keep(proc)) found.push(proc);
    } catch {
      // Exited between the snapshot and this read.
    }
  }
  return found;
}
