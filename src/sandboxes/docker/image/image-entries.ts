import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** One entry of the image's filesystem, named by its absolute path inside the image. */
export type ImageEntry =
  | { type: 'directory'; name: string; mode: number }
  | { type: 'symlink'; name: string; target: string }
  | { type: 'file'; name: string; mode: number; size: number; source: string }
  | { type: 'link'; name: string; target: string }
  | { type: 'content'; name: string; mode: number; content: string };

/** The host filesystem calls collectHostEntries needs (injected by tests). */
export interface HostFs {
  lstat(file: string): {
    isSymbolicLink(): boolean;
    isDirectory(): boolean;
    isFile(): boolean;
    mode: number;
    size: number;
  };
  readlink(file: string): string;
}

const realFs: HostFs = { lstat: (file) => lstatSync(file), readlink: (file) => readlinkSync(file) };

const MAX_LINKS = 40;

/**
 * The entries that reproduce each host path in `files` at the same path in the image, following the
 * host's layout exactly: a symlinked directory on the way (/lib → usr/lib on merged-/usr systems)
 * becomes the same symlink, and the file at its end a copy. Parents come before children, each path
 * once. Throws when a path is missing, is not a regular file, or loops.
 */
export function collectHostEntries(files: readonly string[], fs: HostFs = realFs): ImageEntry[] {
  const entries = new Map<string, ImageEntry>();
  for (const file of files) addPath(file, fs, entries, 0);
  return [...entries.values()];
}

function addPath(file: string, fs: HostFs, entries: Map<string, ImageEntry>, depth: number): void {
  if (depth > MAX_LINKS) throw new Error(`too many symbolic links resolving ${file}`);
  const parts = path.posix.normalize(file).split('/').filter(Boolean);
  let current = '/';
  for (let i = 0; i < parts.length; i++) {
    const next = path.posix.join(current, parts[i] as string);
    const rest = parts.slice(i + 1);
    const stat = fs.lstat(next);
    if (stat.isSymbolicLink()) {
      const target = fs.readlink(next);
      if (!entries.has(next)) entries.set(next, { type: 'symlink', name: next, target });
      // Continue along the link's target, so it exists in the image too.
      addPath(path.posix.join(path.posix.resolve(current, target), ...rest), fs, entries, depth + 1);
      return;
    }
    if (rest.length > 0) {
      if (!stat.isDirectory()) throw new Error(`${next} is not a directory (resolving ${file})`);
      if (!entries.has(next)) entries.set(next, { type: 'directory', name: next, mode: 0o755 });
    } else if (stat.isFile()) {
      if (!entries.has(next)) {
        entries.set(next, {
          type: 'file',
          name: next,
          mode: stat.mode & 0o755,
          size: stat.size,
          source: next,
        });
      }
    } else {
      throw new Error(`${next} is not a regular file`);
    }
    current = next;
  }
}
