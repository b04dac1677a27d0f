import path from 'node:path';

/** Lookups the link walk needs; injected so the walk stays pure and testable. */
export interface LinkLookups {
  /** true for a symlink, false for anything else that exists, undefined when nothing is there. */
  isSymlink(file: string): boolean | undefined;
  readlink(file: string): string;
}

/** One symlink met while resolving a path: where it is (its directory already resolved) and its text. */
export interface RootLink {
  /** Absolute path of the link; its parent directory is a real path (no symlinks in it). */
  link: string;
  /** The link's target as stored (relative or absolute). */
  target: string;
}

/** The kernel gives up after 40 links in one resolution (ELOOP); so does this walk. */
const MAX_LINKS = 40;

/**
 * Every symlink the kernel follows to resolve the absolute path `file`, in order, including links met
 * inside link targets. Each link's directory is real, so "where was this link created" is answered
 * by `path.dirname(link)`. Throws an Error on a loop (more than 40 links).
 */
export function symlinksOnPath(file: string, fs: LinkLookups): RootLink[] {
  const links: RootLink[] = [];
  let resolved = '/';
  const pending = file.split('/').filter(Boolean);
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      resolved = path.dirname(resolved);
      continue;
    }
    const candidate = path.join(resolved, part);
    if (fs.isSymlink(candidate) !== true) {
      // A missing component ends the walk's meaning; realpath reports it.
      resolved = candidate;
      continue;
    }
    if (links.length >= MAX_LINKS) throw new Error(`too many levels of symbolic links in ${file}`);
    const target = fs.readlink(candidate);
    links.push({ link: candidate, target });
    if (target.startsWith('/')) resolved = '/';
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return links;
}

/** The recorded directory (a real path) that contains `dir` or is `dir`, if any. */
export function recordedParent(dir: string, recorded: readonly string[]): string | undefined {
  return recorded.find((root) => dir === root || dir.startsWith(root === '/' ? '/' : `${root}/`));
}
