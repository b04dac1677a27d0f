import path from 'node:path';

/**
 * How the kernel would resolve `raw` (absolute, not normalised), walked component by component
 * from "/": each name is resolved with `realpath` against the real directory reached so far, so a
 * symlink is followed before a later `..` (`link/..` is the parent of the link's target). This
 * equals the realpath of the longest existing prefix plus the rest, except that it is stricter:
 * `..` pops lexically only through components that do not exist, and once back on an existing
 * directory each further name is resolved again, so "new/../link-out/x" cannot hide a symlink.
 */
export function kernelResolve(raw: string, realpath: (p: string) => string | undefined): string {
  let current = realpath('/') ?? '/';
  let ghosts = 0; // trailing components of `current` that do not exist
  for (const part of raw.split('/')) {
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
    } else {
      current = next;
      ghosts++;
    }
  }
  return current;
}
