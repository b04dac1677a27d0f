import type Docker from 'dockerode';
import { currentOwner, isOrphaned, OWNER_LABEL, parseOwner, processStartTime } from './owner.ts';
import { takerOf } from './warm/taken-name.ts';

/**
 * Remove the containers of dead wardens of this host (a warden killed with SIGKILL cannot remove its
 * own), and of dead warm-pool daemons unless handed to a warden still alive (warm/taken-name.ts). Returns the ids removed. Never throws: reaping is housekeeping and must not block a session.
 */
export async function reapOrphans(docker: Docker): Promise<string[]> {
  const self = currentOwner();
  let containers: Docker.ContainerInfo[];
  try {
    containers = await docker.listContainers({ all: true, filters: { label: [OWNER_LABEL] } });
  } catch {
    return [];
  }
  const orphans = containers.filter((info) => {
    const owner = parseOwner(info.Labels[OWNER_LABEL] ?? '');
    if (owner === undefined || !isOrphaned(owner, self, processStartTime)) return false;
    // A warm-pool container handed to a warden lives as long as that warden, even past its daemon.
    const taker = takerOf(info.Names ?? []);
    return taker === undefined || isOrphaned({ ...owner, ...taker }, self, processStartTime);
  });
  const removed: string[] = [];
  await Promise.all(
    orphans.map(async (info) => {
      try {
        await docker.getContainer(info.Id).remove({ force: true, v: true });
        removed.push(info.Id);
      } catch {
        // Removed concurrently by another warden, or the engine refused: try again next start.
      }
    }),
  );
  return removed;
}

/**
 * Remove every container labelled as owned by `owner` (a formatOwner value), whatever its state; the
 * ids removed. Used by the watchdog of a dead warden. Never throws.
 */
export async function removeContainersOf(docker: Docker, owner: string): Promise<string[]> {
  let containers: Docker.ContainerInfo[];
  try {
    containers = await docker.listContainers({ all: true, filters: { label: [`${OWNER_LABEL}=${owner}`] } });
  } catch {
    return [];
  }
  const removed: string[] = [];
  await Promise.all(
    containers.map(async (info) => {
      try {
        await docker.getContainer(info.Id).remove({ force: true, v: true });
        removed.push(info.Id);
      } catch {
        // Gone already, or the engine refused: the reaper of the next warden start tries again.
      }
    }),
  );
  return removed;
}
