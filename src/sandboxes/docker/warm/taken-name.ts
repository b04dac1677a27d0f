/**
 * Names of warm-pool containers. A ready one is named after the pool daemon; at hand-over the daemon
 * renames it after the warden that took it (labels cannot change once a container exists). The owner
 * label stays the daemon's, so the reaper (reap.ts) reads the name too: a container handed to a live
 * warden is not an orphan even when the daemon that made it is gone.
 */

const TAKEN = /^\/?mcp-warden-taken-(\d+)-(\d+)-[0-9a-f]+$/;

/** Pure: the name of a ready container of the pool daemon with pid `daemonPid`; `nonce` is random hex. */
export function readyName(daemonPid: number, nonce: string): string {
  return `mcp-warden-pool-${daemonPid}-${nonce}`;
}

/** Pure: the name a ready container gets when handed to the warden `taker` (pid and its start time). */
export function takenName(taker: { pid: number; startTime: string }, nonce: string): string {
  return `mcp-warden-taken-${taker.pid}-${taker.startTime}-${nonce}`;
}

/**
 * Pure: the warden a container was handed to, from its engine names (`/name`, as listContainers gives
 * them); undefined for any other container.
 */
export function takerOf(names: readonly string[]): { pid: number; startTime: string } | undefined {
  for (const name of names) {
    const match = TAKEN.exec(name);
    if (match) return { pid: Number(match[1]), startTime: match[2] as string };
  }
  return undefined;
}
