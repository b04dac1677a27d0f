import path from 'node:path';
import type { Resolver } from './resolver.ts';

/** Symlinks followed in one resolution before giving up, as the kernel does (ELOOP). */
const MAX_HOPS = 40;

/**
 * How the kernel would resolve `raw` (absolute, not normalised), walked component by component
 * from "/", with one `readlink` per name: `current` is always a real path (no symlink in it), so
 * `current/name` is real too unless `name` is itself a symlink, whose target is then resolved in its
 * place (relative to the link's directory, or from "/"). A symlink is therefore followed before a
 * later `..` (`link/..` is the parent of the link's target), and a dangling symlink is followed like
 * any other: open(O_CREAT) through it creates its target, wherever that is. Names that do not exist
 * are kept as they are, and `..` pops lexically through them. One lookup per component: calling
 * realpath(3) on every prefix instead cost a quadratic number of system calls (glibc re-reads each
 * prefix's links) and was most of the policy engine's time.
 */
export function kernelResolve(raw: string, readlink: (p: string) => string | undefined): string {
  let current = '/';
  let hops = 0;
  const parts = raw.split('/').reverse(); // a stack, so a link's target can be pushed in its place
  while (parts.length > 0) {
    const part = parts.pop() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = path.posix.dirname(current);
      continue;
    }
    const next = current === '/' ? `/${part}` : `${current}/${part}`;
    const target = hops < MAX_HOPS ? readlink(next) : undefined;
    if (target !== undefined) {
      hops++;
      if (target.startsWith('/')) current = '/';
      parts.push(...target.split('/').reverse());
      continue;
    }
    current = next;
  }
  return current;
}

/**
 * kernelResolve's answer, from one realpath(3) when the whole path exists. realpath succeeds only
 * when every component exists and every symlink on the way resolves within the same 40 hops, walked
 * as the kernel walks it (a link before a later `..`), so its answer is kernelResolve's; a path that
 * does not exist (yet), a dangling link, ELOOP, or a non-path link target (`pipe:[…]` in /proc) fails
 * it. A name that does not exist (yet) in a directory that does, the file a write is about to
 * create, is the directory's realpath and the name when nothing at all (not even a dangling link) is
 * at that name: the walk would resolve the directory to the same real path and then keep the missing
 * name as it is. Anything else is decided by the walk, one lookup per component. Issue 19: one call
 * in C instead of an lstat per component from JavaScript was most of the per-call cost of a tool
 * call's path.
 */
export function physicalPath(
  raw: string,
  resolver: Pick<Resolver, 'realpath' | 'readlink' | 'exists'>,
): string {
  const real = resolver.realpath(raw);
  if (real !== undefined) return real;
  const name = path.posix.basename(raw);
  if (name !== '' && name !== '.' && name !== '..') {
    const dir = resolver.realpath(path.posix.dirname(raw));
    if (dir !== undefined) {
      const created = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (!resolver.exists(created)) return created;
    }
  }
  return kernelResolve(raw, resolver.readlink);
}
