import { type Dirent, readdirSync } from 'node:fs';
import path from 'node:path';
import type { MountList } from './code-mounts.ts';
import { isModuleMarker, MANIFESTS, readJson } from './package-root.ts';

/** Directory entries examined per package before giving up on checking the rest (a start-up cost bound). */
export const MAX_PACKAGE_ENTRIES = 20_000;

interface Walk {
  /** The script (or other file) that must be mounted whatever else is decided; undefined: none. */
  keep: string | undefined;
  /** Entries still allowed to be examined. */
  budget: number;
  mounts: MountList;
  why: string;
}

/** The outcome for one directory: mount it whole, or the pieces chosen below it. */
type Piece = { path: string; why: string };
type Verdict =
  | { whole: true }
  /** `otherPackage`: the directory is another package (its manifest), left out entirely. */
  | { whole: false; pieces: Piece[]; otherPackage?: string };

/**
 * Mount the files of the package at `dir` (read-only, into `mounts`): the whole directory when nothing
 * in it is a dotfile (.env, .git, .npmrc...), another package (a subdirectory with its own manifest) or
 * anything but a regular file, directory or node_modules; else its entries one by one, leaving those
 * out (recorded in `mounts` with the reason), recursively. Symlinks inside are kept as links when the
 * whole directory is mounted (their targets stay unmounted), never bound one by one (a bind mount of
 * a link would expose its target). `keep` (the script) lies in `dir` and is always mounted; undefined
 * for a directory mounted for its own sake (a path a Python .pth file adds).
 */
export function mountPackageFiles(
  dir: string,
  keep: string | undefined,
  mounts: MountList,
  why: string,
): void {
  const walk: Walk = { keep, budget: MAX_PACKAGE_ENTRIES, mounts, why };
  const verdict = visit(dir, walk, true);
  if (verdict.whole) mounts.add(dir, why);
  else for (const piece of verdict.pieces) mounts.add(piece.path, piece.why);
  if (walk.budget <= 0) {
    mounts.warnings.push(
      `the server package ${dir} has more than ${MAX_PACKAGE_ENTRIES} entries (node_modules aside): only the parts examined are mounted; put the server in a smaller package if it misses files`,
    );
  }
  if (keep !== undefined && !mounts.covers(keep)) mounts.add(keep, 'the server script');
}

function visit(dir: string, walk: Walk, top: boolean): Verdict {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    walk.mounts.leaveOut(dir, 'unreadable');
    return { whole: false, pieces: [] };
  }
  // Another package's sources (a directory with its own manifest) are never part of this one, unless
  // the script lies in it. Decided from the listing itself: no extra stat per directory.
  if (!top && !isAncestorOf(dir, walk.keep)) {
    const manifest = ownManifest(dir, entries);
    if (manifest !== undefined) return { whole: false, pieces: [], otherPackage: manifest };
  }
  const pieces: Piece[] = [];
  let whole = true;
  for (const entry of entries.sort(byName)) {
    const full = path.join(dir, entry.name);
    if (--walk.budget < 0) {
      // Unexamined entries are never mounted; the directories leading to the script still are followed.
      whole = false;
      if (entry.isDirectory() && isAncestorOf(full, walk.keep))
        pieces.push(...pick(visit(full, walk, false), full, walk));
      continue;
    }
    // A dot-directory that holds the script (a build output such as .output/) was named by the user.
    if (entry.name.startsWith('.') && !isAncestorOf(full, walk.keep)) {
      walk.mounts.leaveOut(full, 'dotfile (configuration or secrets: .env, .git, .npmrc...)');
      whole = false;
    } else if (entry.isSymbolicLink()) {
      // Harmless inside a directory mounted whole (its target stays unmounted); alone it cannot be
      // mounted, since a bind mount of a link exposes its target.
      walk.mounts.leaveOut(full, 'symlink (only present when its directory is mounted whole)');
    } else if (entry.isDirectory() && entry.name !== 'node_modules') {
      const child = visit(full, walk, false);
      if (!child.whole) whole = false;
      if (!child.whole && child.otherPackage !== undefined)
        walk.mounts.leaveOut(full, `another package (${child.otherPackage})`);
      else pieces.push(...pick(child, full, walk));
    } else if (entry.isDirectory() || entry.isFile()) {
      const why = entry.name === 'node_modules' ? `${walk.why}: its node_modules` : walk.why;
      pieces.push({ path: full, why });
    } else {
      walk.mounts.leaveOut(full, 'not a regular file');
      whole = false;
    }
  }
  return whole ? { whole: true } : { whole: false, pieces };
}

function pick(verdict: Verdict, dir: string, walk: Walk): Piece[] {
  return verdict.whole ? [{ path: dir, why: walk.why }] : verdict.pieces;
}

/** The manifest among `entries` that makes `dir` a package of its own (a module-format marker does not). */
function ownManifest(dir: string, entries: Dirent[]): string | undefined {
  for (const entry of entries) {
    if (!MANIFESTS.has(entry.name) || !entry.isFile()) continue;
    const file = path.join(dir, entry.name);
    if (entry.name === 'package.json' && isModuleMarker(readJson(file))) continue;
    return file;
  }
  return undefined;
}

const byName = (a: Dirent, b: Dirent): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function isAncestorOf(dir: string, file: string | undefined): boolean {
  return file !== undefined && file.startsWith(`${dir}/`);
}
