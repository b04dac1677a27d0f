// Container backends in tests: whether docker/gvisor work here (probed once per test file, through the
// warden's own probe), roots the non-root container user can use, and the containers of ours still
// in the engine (every test that starts one asserts there are none left).
import { chownSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { dockerConnection } from '../../src/sandboxes/docker/docker-connection.ts';
import { OWNER_LABEL, parseOwner } from '../../src/sandboxes/docker/owner.ts';
import { getBackend } from '../../src/sandboxes/registry.ts';
import { cacheDir } from '../../src/util/cache-dir.ts';
import type { Availability } from '../../src/sandboxes/types.ts';
import { hostProcesses } from './host-processes.ts';
import { BWRAP_AVAILABLE, wardenPids } from './warden.ts';

async function availability(name: 'docker' | 'gvisor' | 'isolate'): Promise<Availability> {
  try {
    // The warden's own cache: a gvisor trial container then runs once, not once per test file.
    return await getBackend(name).probe({ cacheDir: cacheDir() });
  } catch (error) {
    return { available: false, reason: (error as Error).message, fix: '' };
  }
}

const docker = await availability('docker');
const gvisor = await availability('gvisor');
const isolate = await availability('isolate');

/** A sandboxing profile as test suites iterate over them: whether it runs here, and why not. */
export interface TestProfile {
  profile: 'none' | 'bwrap' | 'docker' | 'gvisor' | 'isolate';
  enabled: boolean;
  /** Shown in the describe title: "docker backend available" or "SKIPPED: <reason>". */
  status: string;
}

const status = (name: string, a: Availability): string =>
  a.available ? `${name} backend available` : `SKIPPED: ${a.reason}`;

export const DOCKER_PROFILE: TestProfile = {
  profile: 'docker',
  enabled: docker.available,
  status: status('docker', docker),
};
export const GVISOR_PROFILE: TestProfile = {
  profile: 'gvisor',
  enabled: gvisor.available,
  status: status('gvisor', gvisor),
};
export const BWRAP_PROFILE: TestProfile = {
  profile: 'bwrap',
  enabled: BWRAP_AVAILABLE,
  status: BWRAP_AVAILABLE ? 'bwrap backend available' : 'SKIPPED: bwrap not on PATH',
};
export const NONE_PROFILE: TestProfile = { profile: 'none', enabled: true, status: 'none backend available' };
/** JavaScript servers only: for suites that drive node servers. */
export const ISOLATE_PROFILE: TestProfile = {
  profile: 'isolate',
  enabled: isolate.available,
  status: status('isolate', isolate),
};

/** Every profile that isolates (bwrap, docker, gvisor). */
export const SANDBOX_PROFILES: TestProfile[] = [BWRAP_PROFILE, DOCKER_PROFILE, GVISOR_PROFILE];
export const CONTAINER_PROFILES: TestProfile[] = [DOCKER_PROFILE, GVISOR_PROFILE];

export const isContainer = (profile: string): boolean => profile === 'docker' || profile === 'gvisor';

/**
 * Give `dir` (recursively) to a non-root owner (65534) when the tests run as root: a container never
 * runs as uid 0; as root the warden runs it as the owner of the first rw root (here 65534), which could
 * not use root's 0700 temp directories otherwise. For other profiles, or when not root, nothing
 * changes. Returns `dir`.
 */
export function shareWithSandbox(dir: string, profile: string): string {
  if (!isContainer(profile) || process.getuid?.() !== 0) return dir;
  const walk = (target: string): void => {
    chownSync(target, 65534, 65534);
    for (const entry of readdirSync(target, { withFileTypes: true })) {
      const child = path.join(target, entry.name);
      if (entry.isDirectory()) walk(child);
      // Regular files only: never a link, and never a device node or socket a test left here (a chown
      // through one would change the host's own device, e.g. /dev/null, for everyone).
      else if (entry.isFile()) chownSync(child, 65534, 65534);
    }
  };
  walk(dir);
  return dir;
}

/**
 * Ids, names and states of the containers that wardens started by THIS test file still have in the
 * engine (owner label pid among `wardenPids`): test files run in parallel, each with its own
 * containers. The global leak check (leak-check.ts) looks at all of them once every file is done.
 */
export async function ourContainers(): Promise<string[]> {
  const engine = await dockerConnection();
  const list = await engine.listContainers({ all: true, filters: { label: [OWNER_LABEL] } });
  return list
    .filter((info) => {
      const owner = parseOwner(info.Labels[OWNER_LABEL] ?? '');
      return owner !== undefined && wardenPids.has(owner.pid);
    })
    .map((info) => `${info.Id.slice(0, 12)} ${info.Names.join(',')} ${info.State}`);
}

/**
 * Host pids of the container watchdog of the warden with pid `wardenPid` (src/sandboxes/docker/
 * watchdog.ts): its command line names watchdog-main and the warden's owner label, which holds the pid.
 */
export function watchdogPids(wardenPid: number): number[] {
  return hostProcesses(
    (proc) => /watchdog-main\.[jt]s\0/.test(proc.cmdline) && proc.cmdline.includes(`/${wardenPid}/`),
  ).map((proc) => proc.pid);
}
