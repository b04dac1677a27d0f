import { type BigIntStats, lstatSync, realpathSync, statSync } from 'node:fs';

/**
 * What a host path is now, as one comparable string: its real path, and the identity of what is
 * there (type and permission bits, device, inode, owner, group, device number) — of the link and of
 * its target when it is a symlink. With `content`, also its modification and change times (ns) for
 * files, directories and links: a file rewritten, a directory whose entries changed, a chmod. Device
 * nodes get identity only (a terminal's times move with its traffic). "missing" when nothing is there.
 * Two calls give the same string exactly when none of that changed. Never throws.
 */
export function pathFacts(file: string, content: boolean): string {
  const link = lstat(file);
  if (link === undefined) return 'missing';
  let real: string;
  try {
    real = realpathSync.native(file);
  } catch {
    real = '?';
  }
  const facts = [`real=${real}`, `l=${identity(link, content)}`];
  if (link.isSymbolicLink()) {
    const target = stat(file);
    facts.push(`t=${target === undefined ? 'missing' : identity(target, content)}`);
  }
  return facts.join(';');
}

function identity(stat: BigIntStats, content: boolean): string {
  const parts = [stat.mode, stat.dev, stat.ino, stat.uid, stat.gid, stat.rdev];
  const timed = stat.isFile() || stat.isDirectory() || stat.isSymbolicLink();
  if (content && timed) parts.push(stat.mtimeNs, stat.ctimeNs);
  return parts.join(':');
}

function lstat(file: string): BigIntStats | undefined {
  try {
    return lstatSync(file, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function stat(file: string): BigIntStats | undefined {
  try {
    return statSync(file, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
