import path from 'node:path';
import type { ResolvedRoot } from '../config/root.ts';

/** What the sandbox shows of the host, for deciding whether a path in the environment is visible. */
export interface VisibleHost {
  roots: readonly ResolvedRoot[];
  /** The server's state home (its HOME), if any. */
  stateHome: string | undefined;
  /** Read-only mounts (runtime, server code). */
  readOnlyPaths: readonly string[];
  /** realpath of the longest existing prefix of an absolute path (a symlink to a root is inside it). */
  realpath: (file: string) => string;
  /** Is there a directory at this host path? */
  isDirectory: (file: string) => boolean;
}

/** Device and process files: every sandbox has its own (/dev/null, /proc/self...). */
const PRIVATE = ['/dev', '/proc'];

/**
 * Pure (host facts passed in): one line per `--env` value that names an absolute host path (or a
 * colon-separated list of them) the sandbox cannot see, since it lies under no root, not in the
 * server's home and in no read-only mount, saying which --root would make it visible: the directory
 * itself, or the directory of a file (or of a path not created yet). Paths under /dev and /proc are
 * left alone: the sandbox has its own. /tmp is not: the sandbox's /tmp is private, so the host's
 * /tmp/x is not what the server sees.
 */
export function envPathWarnings(env: Readonly<Record<string, string>>, host: VisibleHost): string[] {
  const warnings: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    const parts = value.split(':');
    const paths = value.startsWith('/') && parts.every((part) => part.startsWith('/')) ? parts : [];
    for (const given of paths) {
      if (/[\n\0]/.test(given)) continue;
      const file = path.posix.normalize(given);
      if (PRIVATE.some((dir) => within(file, dir)) || isVisible(file, host)) continue;
      const dir = host.isDirectory(file) ? file : path.posix.dirname(file);
      warnings.push(
        `--env ${name}: ${file} is not visible inside the sandbox (under no --root, not in the server's home); --root ${dir} would make it visible`,
      );
    }
  }
  return warnings;
}

function isVisible(file: string, host: VisibleHost): boolean {
  const forms = new Set([file, host.realpath(file)]);
  const places = [
    ...host.roots.flatMap((root) => [root.path, root.realPath]),
    ...(host.stateHome === undefined ? [] : [host.stateHome]),
    ...host.readOnlyPaths,
  ];
  return [...forms].some((form) => places.some((place) => within(form, place)));
}

function within(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}
