import path from 'node:path';

/** Symlinks followed in one resolution before giving up, as the kernel does (ELOOP). */
const MAX_HOPS = 40;

/**
 * How the kernel would resolve `raw` (absolute, not normalised), walked component by component
 * from "/": each name is resolved with `realpath` against the real directory reached so far, so a
 * symlink is followed before a later `..` (`link/..` is the parent of the link's target). This
 * equals the realpath of the longest existing prefix plus the rest, except that it is stricter:
 * `..` pops lexically only through components that do not exist, and once back on an existing
 * directory each further name is resolved again, so "new/../link-out/x" cannot hide a symlink.
 * A dangling symlink (realpath fails, readlink succeeds) is followed too: open(O_CREAT) through it
 * creates its target, wherever that is.
 */
export function kernelResolve(
  raw: string,
  realpath: (p: string) => string | undefined,
  readlink: (p: string) => string | undefined,
): string {
  const top = realpath('/') ?? '/';
  let current = top;
  let ghosts = 0; // trailing components of `current` that do not exist
  let hops = 0;
  const parts = raw.split('/').reverse(); // a stack, so a link's target can be pushed in its place
  while (parts.length > 0) {
    const part = parts.pop() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = path.posix.dirname(current);
      if (ghosts > 0) ghosts--;
      continue;
    }
    const next = current === '/' ? `/${part}` : `${current}/${part}`;
    const real = ghosts === 0 ? realpath(next) : undefined;
    if (real !== undefined) {
      current = real;
      continue;
    }
    const target = ghosts === 0 && hops < MAX_HOPS ? readlink(next) : undefined;
    if (target !== undefined) {
      // Resolve the target in place of the link: relative to the link's directory, or from "/".
      hops++;
      if (target.startsWith('/')) current = top;
      parts.push(...target.split('/').reverse());
      continue;
    }
    current = next;
    ghosts++;
  }
  return current;
}
