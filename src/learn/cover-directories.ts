import { isWithin } from '../policy/paths/anchor.ts';

/** One directory a request needed, and whether it wrote there. */
export interface DirectoryNeed {
  dir: string;
  write: boolean;
  /** The request that needed it, as the report shows it (`read_file /data/a.txt`). */
  why: string;
}

/** A root of the learned profile with the requests that justify it. */
export interface LearnedRoot {
  path: string;
  readOnly: boolean;
  because: string[];
}

/** More learned directories than this under one session root are merged into their common ancestor. */
export const MAX_ROOTS_PER_ROOT = 8;

/**
 * Pure: the fewest directories covering every need, grouped under the session's roots (`roots`, real
 * paths; `readOnly` per root). Directories written to become read-write roots, the others `:ro`; a
 * read-only directory inside a read-write one is dropped (covered), a read-write one inside a
 * read-only one is kept beside it (the more specific root decides). A need outside every session
 * root is left out (it was not allowed). Past MAX_ROOTS_PER_ROOT directories under one session root,
 * they are merged into their deepest common ancestor (never above that root). Parents come before
 * their children in the result; otherwise sorted by path.
 */
export function coverDirectories(
  needs: readonly DirectoryNeed[],
  roots: ReadonlyArray<{ realPath: string; readOnly: boolean }>,
): LearnedRoot[] {
  const out: LearnedRoot[] = [];
  for (const root of roots) {
    const mine = needs.filter((need) => mostSpecific(need.dir, roots) === root);
    if (mine.length === 0) continue;
    const writes = root.readOnly ? [] : mine.filter((need) => need.write).map((need) => need.dir);
    const rw = minimalCover(writes);
    const ro = minimalCover(mine.map((need) => need.dir)).filter((dir) => !rw.some((w) => isWithin(dir, w)));
    let chosen = [
      ...rw.map((dir) => ({ dir, readOnly: false })),
      ...ro.map((dir) => ({ dir, readOnly: true })),
    ];
    if (chosen.length > MAX_ROOTS_PER_ROOT) {
      chosen = [{ dir: commonAncestor(chosen.map((c) => c.dir)), readOnly: rw.length === 0 }];
    }
    for (const { dir, readOnly } of chosen) {
      const because = unique(mine.filter((need) => isWithin(need.dir, dir)).map((need) => need.why));
      out.push({ path: dir, readOnly, because });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The session root that holds `dir` most specifically, if any. */
function mostSpecific<T extends { realPath: string }>(dir: string, roots: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const root of roots) {
    if (isWithin(dir, root.realPath) && (best === undefined || root.realPath.length > best.realPath.length)) {
      best = root;
    }
  }
  return best;
}

/** The directories of `dirs` that no other one of them contains. */
function minimalCover(dirs: readonly string[]): string[] {
  const kept: string[] = [];
  for (const dir of unique(dirs).sort((a, b) => a.length - b.length)) {
    if (!kept.some((k) => isWithin(dir, k))) kept.push(dir);
  }
  return kept;
}

function commonAncestor(dirs: readonly string[]): string {
  const split = dirs.map((dir) => dir.split('/').filter(Boolean));
  const first = split[0] ?? [];
  let length = 0;
  while (length < first.length && split.every((parts) => parts[length] === first[length])) length++;
  return `/${first.slice(0, length).join('/')}`;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
