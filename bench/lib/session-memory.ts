// Who holds the memory of one client session: the warden (and, for docker/gvisor, its watchdog) or the
// server it sandboxes (bwrap and the server below it; for containers, the container's processes, found
// through the engine by the warden's owner label). Linux only, read from /proc.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { descendants, pssKib, rssKib } from './proc-stats.ts';

/** Memory in KiB: resident (RSS) and proportional (PSS: shared pages split among their users). */
export interface Memory {
  rss: number;
  pss: number;
}

export interface SessionMemory {
  /** The warden process alone (undefined in direct mode). */
  warden?: Memory;
  /** Helpers the warden started that are not the sandbox (the docker backend's watchdog). */
  helpers: Memory;
  /** The server: every process of its sandbox (bwrap included), or of its container. */
  server: Memory;
}

const sum = (pids: number[]): Memory => ({
  rss: pids.reduce((total, pid) => total + rssKib(pid), 0),
  pss: pids.reduce((total, pid) => total + pssKib(pid), 0),
});

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Host pids of the containers whose owner label names warden `pid` (the engine's view; [] without docker). */
function containerPids(pid: number): number[] {
  let listing: string;
  try {
    const ids = execFileSync('docker', ['ps', '-q', '--filter', 'label=dev.mcp-warden.owner'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
    if (ids.length === 0) return [];
    listing = execFileSync(
      'docker',
      ['inspect', '--format', '{{index .Config.Labels "dev.mcp-warden.owner"}} {{.State.Pid}}', ...ids],
      { encoding: 'utf8' },
    );
  } catch {
    return [];
  }
  return listing
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([owner]) => owner?.split('/')[2] === String(pid))
    .map(([, init]) => Number(init))
    .filter((init) => init > 0);
}

/** The memory of the session whose spawned process is `pid` (the warden, or the server when direct). */
export function sessionMemory(pid: number, direct: boolean): SessionMemory {
  if (direct) return { helpers: { rss: 0, pss: 0 }, server: sum([pid, ...descendants([pid])]) };
  const below = descendants([pid]);
  const helpers = below.filter((child) => cmdline(child).includes('watchdog-main'));
  const sandbox = below.filter((child) => !helpers.includes(child));
  const containers = containerPids(pid);
  return {
    warden: sum([pid]),
    helpers: sum(helpers),
    server: sum([...sandbox, ...containers, ...descendants(containers)]),
  };
}
