import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { errorMessage } from '../errors.ts';

/** What a file must not allow to count as this user's own: e.g. 0o022 (writable by others), 0o077. */
export interface OwnFileRule {
  /** Permission bits that disqualify the file. */
  forbiddenMode: number;
  /** The mode named in the problem when a forbidden bit is set, e.g. "600". */
  wantedMode: string;
}

/**
 * The bytes of `file` when it is this user's own under `rule`: a regular file (never through a
 * symlink: O_NOFOLLOW, and checked on the descriptor that is read, so nothing can be swapped in between),
 * owned by this user, none of `rule.forbiddenMode` set. Otherwise why not (`code`: the open's errno, e.g.
 * ENOENT). Never throws. The caches that feed what they read to esbuild, V8 or a sandbox launch read
 * through this (isolate bundles and code caches, the fast start's launches).
 */
export function readOwnFile(
  file: string,
  rule: OwnFileRule,
): { data: Buffer } | { problem: string; code?: string } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      problem: `cannot open ${file}: ${code ?? errorMessage(error)}`,
      ...(code === undefined ? {} : { code }),
    };
  }
  try {
    const stat = fstatSync(fd);
    const uid = process.getuid?.();
    if (!stat.isFile()) return { problem: `${file} is not a regular file` };
    if (uid !== undefined && stat.uid !== uid)
      return { problem: `${file} belongs to uid ${stat.uid}, not to this user` };
    if ((stat.mode & rule.forbiddenMode) !== 0)
      return { problem: `${file} has mode ${(stat.mode & 0o777).toString(8)}, not ${rule.wantedMode}` };
    return { data: readFileSync(fd) };
  } catch (error) {
    return { problem: `cannot read ${file}: ${errorMessage(error)}` };
  } finally {
    closeSync(fd);
  }
}
