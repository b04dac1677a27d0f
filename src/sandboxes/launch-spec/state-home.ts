import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { WardenError, errorMessage } from '../../errors.ts';
import { findOnPath } from '../process/find-on-path.ts';

/** What a server's state home is named after (see stateHomeName). */
export type StateHomeSource =
  | { kind: 'explicit'; name: string }
  | { kind: 'npm' | 'pypi'; package: string }
  | { kind: 'script'; script: string; packageName: string | undefined }
  | { kind: 'module'; module: string; interpreter: string }
  | { kind: 'program'; program: string };

/** A server's private, persistent HOME: where it lives and why it has that name (for `explain`). */
export interface StateHome {
  path: string;
  name: string;
  why: string;
}

/** What `--name` accepts: a plain file name (no path, no leading dot), at most 64 characters. */
const EXPLICIT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Throws WardenError('usage') unless `name` is a valid `--name`. */
export function checkServerName(name: string): string {
  if (!EXPLICIT_NAME.test(name)) {
    throw new WardenError('usage', `--name ${JSON.stringify(name)}: not a valid server name`, {
      hint: 'use letters, digits, ".", "_" and "-" (at most 64, not starting with "." or "-"), e.g. --name memory',
    });
  }
  return name;
}

/**
 * Pure: the name of a server's state home and why. `--name` wins. Otherwise it is derived from the
 * command so that the same server gets the same home in every session and two different servers
 * never share one: a package installed by the warden (npx, uvx, pipx) by its package name (so an
 * upgrade keeps the data); a script by its package's name (or its file name) and a hash of its real
 * path; `python -m MODULE` by the module and a hash of the interpreter path; any other program by its
 * file name and a hash of its real path.
 */
export function stateHomeName(source: StateHomeSource): { name: string; why: string } {
  switch (source.kind) {
    case 'explicit':
      return { name: source.name, why: `named by --name ${source.name}` };
    case 'npm':
    case 'pypi':
      return {
        name: clean(`${source.kind}-${source.package.replace(/^@/, '').replace('/', '+')}`),
        why: `the ${source.kind === 'npm' ? 'npm' : 'Python'} package ${source.package}, installed by the warden`,
      };
    case 'script': {
      const stem = source.packageName ?? path.basename(source.script).replace(/\.[^.]*$/, '');
      return {
        name: clean(`${stem}-${shortHash(source.script)}`),
        why: `the server script ${source.script}${source.packageName === undefined ? '' : ` (package ${source.packageName})`}`,
      };
    }
    case 'module':
      return {
        name: clean(`${source.module}-${shortHash(source.interpreter)}`),
        why: `python -m ${source.module} with ${source.interpreter}`,
      };
    case 'program':
      return {
        name: clean(`${path.basename(source.program)}-${shortHash(source.program)}`),
        why: `the server program ${source.program}`,
      };
  }
}

/** Pure: the state home of server `name` under the warden's state directory. */
export function stateHomePath(stateDir: string, name: string): string {
  return path.join(stateDir, 'homes', name);
}

/**
 * Create a server's state home (and `homes/` above it) if missing, mode 0700, owned by `owner` (the
 * host uid/gid the sandbox's writes are made as; undefined: the warden's own). A home last used by
 * another uid (the same server under another backend, run as root) is handed to `owner` with
 * `chown -R -P -h` (a physical walk: links inside are changed themselves, never followed): it is the warden's own
 * directory, never a user's file. Returns warnings for what could not be fixed; throws
 * WardenError('launch-failed') when the home cannot be created or is not a directory.
 */
export async function ensureStateHome(home: string, owner?: { uid: number; gid: number }): Promise<string[]> {
  try {
    mkdirSync(path.dirname(home), { recursive: true, mode: 0o700 });
    mkdirSync(home, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new WardenError(
      'launch-failed',
      `cannot create the server's home ${home}: ${errorMessage(error)}`,
      {
        hint: 'set MCP_WARDEN_STATE_DIR to a writable directory',
        cause: error,
      },
    );
  }
  const stat = lstatSync(home);
  if (!stat.isDirectory()) {
    throw new WardenError('launch-failed', `the server's home ${home} is not a directory`, {
      hint: `remove it; the warden recreates it`,
    });
  }
  if ((stat.mode & 0o777) !== 0o700) chmodSync(home, 0o700);
  const uid = owner?.uid ?? process.getuid?.();
  const gid = owner?.gid ?? process.getgid?.();
  if (uid === undefined || gid === undefined || (stat.uid === uid && stat.gid === gid)) return [];
  if (process.getuid?.() !== 0) {
    return [
      `the server's home ${home} belongs to uid ${stat.uid}, but the sandbox runs as ${uid}: it may not be writable`,
    ];
  }
  const chown = findOnPath('chown', '/usr/bin:/bin');
  if (chown === undefined) return [`cannot hand the server's home ${home} to uid ${uid}: no chown found`];
  // chown(1), not a walk here: its physical traversal (fts) checks each directory it enters, while a
  // sandbox of the other uid may be renaming entries in this home meanwhile. Spawned with node's own
  // child_process: a home alternating between two uids (the same server under gvisor, as the container
  // user, then under bwrap or isolate, as root) is handed over at every such start, and loading execa
  // for it cost that start ~60 ms.
  const { spawn } = process.getBuiltinModule('node:child_process');
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(chown, ['-R', '-P', '-h', `${uid}:${gid}`, '--', home], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => resolve({ code: null, stderr: errorMessage(error) }));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  return result.code === 0
    ? []
    : [
        `cannot hand the server's home ${home} to uid ${uid}: ${result.stderr.trim().split('\n').pop() ?? ''}`,
      ];
}

/** Pure: a name safe as one path component: [A-Za-z0-9._+-], no leading dot or dash, at most 80 characters. */
function clean(name: string): string {
  const safe = name
    .replace(/[^A-Za-z0-9._+-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 80);
  return safe === '' ? 'server' : safe;
}

function shortHash(text: string): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex').slice(0, 8);
}
