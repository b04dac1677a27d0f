import { lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../../errors.ts';
import { stateDir } from '../../../util/state-dir.ts';

/** Where the warm pool daemon of this user lives (docs/performance.md, "Warm pool for run"). */
export interface PoolPaths {
  /** STATE/pool: mode 0700, owned by the user; nothing in it is reachable by anyone else. */
  dir: string;
  /** The daemon's unix socket (mode 0600). */
  socket: string;
  /** The daemon's own log (its stderr): starts, exits, failed fills. Never the warden's stdout. */
  log: string;
}

/** The longest unix socket path the kernel takes (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

/** Pure: the pool's paths under the warden's state directory (MCP_WARDEN_STATE_DIR, XDG_STATE_HOME...). */
export function poolPaths(env: NodeJS.ProcessEnv = process.env): PoolPaths {
  const dir = path.join(stateDir(env), 'pool');
  return { dir, socket: path.join(dir, 'pool.sock'), log: path.join(dir, 'daemon.log') };
}

/**
 * Make `paths.dir` a private directory of this user: created with mode 0700 when missing. Returns why the pool cannot be used there (a symlink, another
 * owner, a socket path too long), or undefined when it can. Never throws.
 */
export function preparePoolDir(paths: PoolPaths): string | undefined {
  if (Buffer.byteLength(paths.socket) > MAX_SOCKET_PATH) {
    return `the socket path ${paths.socket} is longer than ${MAX_SOCKET_PATH} bytes (set MCP_WARDEN_STATE_DIR to a shorter directory)`;
  }
  try {
    mkdirSync(path.dirname(paths.dir), { recursive: true });
    try {
      mkdirSync(paths.dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return checkPrivate(paths.dir);
  } catch (error) {
    return `cannot create ${paths.dir}: ${errorMessage(error)}`;
  }
}

/** Is `dir` a real directory (not a symlink) of this user with mode 0700? */
function checkPrivate(dir: string): string | undefined {
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) return `${dir} is not a directory (a symlink or a file is never followed)`;
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) return `${dir} belongs to uid ${stat.uid}, not to this user`;
  // Wider than 0700: someone else may have put a socket of theirs in it. Not repaired silently.
  if ((stat.mode & 0o777) !== 0o700) {
    return `${dir} has mode ${(stat.mode & 0o777).toString(8)}, not 700 (remove it; the warden recreates it)`;
  }
  return undefined;
}
