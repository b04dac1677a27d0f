// vitest globalSetup: after the whole run, no process the tests started may still exist. Every test
// asserts its own cleanup where it spawns children; this catches whatever slipped through anywhere
// (a leaked sandbox fails the run instead of piling up on the machine).
import path from 'node:path';
import { hostProcesses } from './host-processes.ts';

const project = path.resolve(import.meta.dirname, '..', '..');
// Command lines that only processes started by this checkout's test suite have. Every warden, sandbox
// and fixture server names a file of the checkout (bwrap mounts it, node runs it), so a run in another
// checkout on the same machine is never mistaken for a leak of this one.
const OURS = [
  path.join(project, 'tests', 'fixtures'),
  path.join(project, 'node_modules', '@modelcontextprotocol'),
  path.join(project, 'src', 'cli', 'main.ts'),
  path.join(project, 'dist', 'cli', 'main.js'),
  // The container watchdog of a warden (src/sandboxes/docker/watchdog.ts) is detached from it.
  path.join(project, 'src', 'sandboxes', 'docker', 'watchdog-main.ts'),
  path.join(project, 'dist', 'sandboxes', 'docker', 'watchdog-main.js'),
  // So is the warm pool daemon of `run --warm` (src/sandboxes/docker/warm/pool-daemon-main.ts).
  path.join(project, 'src', 'sandboxes', 'docker', 'warm', 'pool-daemon-main.ts'),
  path.join(project, 'dist', 'sandboxes', 'docker', 'warm', 'pool-daemon-main.js'),
  // Children spawned by fixture servers carry a per-test tag instead (their command line is node -e).
  'leaktag-',
];

function ourProcesses(): string[] {
  return hostProcesses((proc) => proc.state !== 'Z')
    .map((proc) => ({ pid: proc.pid, cmdline: proc.cmdline.replaceAll('\0', ' ').trim() }))
    .filter(({ cmdline }) => OURS.some((mark) => cmdline.includes(mark)) && !cmdline.includes('vitest'))
    .map(({ pid, cmdline }) => `${pid}: ${cmdline.slice(0, 200)}`);
}

/** Containers labelled by the warden, when an engine answers (none: an empty list). */
async function ourContainers(): Promise<string[]> {
  try {
    const { dockerConnection } = await import('../../src/sandboxes/docker/docker-connection.ts');
    const { OWNER_LABEL } = await import('../../src/sandboxes/docker/owner.ts');
    const docker = await dockerConnection();
    const list = await docker.listContainers({ all: true, filters: { label: [OWNER_LABEL] } });
    return list.map((c) => `${c.Id.slice(0, 12)} ${c.Names.join(',')} ${c.State}`);
  } catch {
    return [];
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  const before = new Set(ourProcesses());
  const containersBefore = new Set(await ourContainers());
  return async () => {
    const containers = (await ourContainers()).filter((c) => !containersBefore.has(c));
    if (containers.length > 0) throw new Error(`containers outlived the test run:\n${containers.join('\n')}`);
    let leaked: string[] = [];
    // Sandboxes stopped by the last tests get a moment to finish dying.
    for (let i = 0; i < 40; i++) {
      leaked = ourProcesses().filter((p) => !before.has(p));
      if (leaked.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`processes outlived the test run:\n${leaked.join('\n')}`);
  };
}
