import { lstatSync, readlinkSync, realpathSync } from 'node:fs';

/**
 * The host filesystem facts the policy engine needs, as pure-looking functions (policy/ does no I/O
 * itself). Each returns undefined instead of throwing.
 */
export const hostPaths = {
  /** realpath(3) of an existing path; undefined when it (or a symlink on the way) does not resolve. */
  realpath(p: string): string | undefined {
    try {
      return realpathSync.native(p);
    } catch {
      return undefined;
    }
  },
  /** True when anything (a dangling symlink too) exists at `p`; never throws (a thrown ENOENT costs more than lstat). */
  exists(p: string): boolean {
    try {
      return lstatSync(p, { throwIfNoEntry: false }) !== undefined;
    } catch {
      return false;
    }
  },
  /** The target of a symlink; undefined when `p` is not a symlink or does not exist. */
  readlink(p: string): string | undefined {
    try {
      // lstat first: it answers "missing" without throwing, and a thrown error (EINVAL for every
      // non-link, ENOENT for every missing name) costs far more than the system call itself.
      if (lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() !== true) return undefined;
      return readlinkSync(p);
    } catch {
      return undefined;
    }
  },
};
