import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { hostProcesses } from './host-processes.ts';

/**
 * Host pids (other than this process) whose command line contains `marker`. Zombies have an empty
 * cmdline and do not count: they hold no resources but a pid.
 */
export function findProcesses(marker: string): number[] {
  return hostProcesses((proc) => proc.cmdline.includes(marker)).map((proc) => proc.pid);
}

/** The command line of `pid` with NULs shown as spaces, or "" when gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Poll until no process carries `marker`; fail with the survivors' command lines if some remain. */
export async function expectNoProcesses(marker: string, withinMs = 1500): Promise<void> {
  const deadline = Date.now() + withinMs;
  let pids = findProcesses(marker);
  while (pids.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    pids = findProcesses(marker);
  }
  expect(
    pids.map((pid) => `${pid}: ${commandLine(pid)}`),
    `processes carrying ${marker} survived ${withinMs} ms`,
  ).toEqual([]);
}

/** Kill every process carrying `marker` (cleanup after a test that found a leak). */
export function killProcesses(marker: string): void {
  for (const pid of findProcesses(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
