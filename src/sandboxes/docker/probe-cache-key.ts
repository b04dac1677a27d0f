import { accessSync, constants, statSync } from 'node:fs';

/** The engine's socket when DOCKER_HOST names none. */
export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** Who asks, and the engine socket as this process sees it: everything a probe's answer depends on. */
export interface ProbeIdentity {
  uid: number;
  /** Supplementary groups, sorted: a login without the docker group is another identity. */
  groups: number[];
  /** DOCKER_HOST as given ('' when unset). */
  dockerHost: string;
  /** The local socket's path ('' for a DOCKER_HOST that is not a unix socket). */
  socket: string;
  /** `ino/ctime/mode/uid:gid` of the socket; '' when it does not exist. */
  socketStat: string;
  /** Whether this process may read and write the socket (what connect(2) needs). */
  socketAccess: boolean;
  /** The engine configuration's `ino/ctime` (a runtime re-registered with other arguments). */
  config: string;
}

/**
 * The identity of this process and its engine socket now. Same user with other groups, a socket
 * re-created by a restarted engine or given another mode or owner: another identity, so a probe a
 * session with Docker access cached is never trusted by one without it.
 */
export function probeIdentity(env: NodeJS.ProcessEnv, configFile: string): ProbeIdentity {
  const dockerHost = env.DOCKER_HOST ?? '';
  const socket =
    dockerHost === '' ? DEFAULT_SOCKET : dockerHost.startsWith('unix://') ? dockerHost.slice(7) : '';
  return {
    uid: process.getuid?.() ?? -1,
    groups: [...(process.getgroups?.() ?? [])].sort((a, b) => a - b),
    dockerHost,
    socket,
    socketStat: socket === '' ? '' : statIdentity(socket),
    socketAccess: socket !== '' && canReadWrite(socket),
    config: fileIdentity(configFile),
  };
}

/** Pure: the disk-cache key of a container probe of `backend` for `identity`. */
export function probeCacheKey(backend: string, identity: ProbeIdentity): string {
  return `container-probe\0${backend}\0${JSON.stringify(identity)}`;
}

function statIdentity(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.ino}/${stat.ctimeMs}/${stat.mode.toString(8)}/${stat.uid}:${stat.gid}`;
  } catch {
    return '';
  }
}

function fileIdentity(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.ino}/${stat.ctimeMs}`;
  } catch {
    return '';
  }
}

function canReadWrite(file: string): boolean {
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
