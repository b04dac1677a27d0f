import { lstatSync, mkdirSync, readdirSync, unlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../errors.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { readOwnFile } from '../../util/own-file.ts';

/** At most this many cached launches are kept (one per configuration); the least recently used go. */
export const MAX_ENTRIES = 64;

/** Where the cached launches live: CACHE/fast-start, mode 0700. */
export function fastStartDir(cacheDir: string): string {
  return path.join(cacheDir, 'fast-start');
}

/**
 * Why `dir` cannot hold cached launches (they carry --env values): not a real directory (a symlink is
 * never followed), not this user's, or open to group or others. Undefined when it can. Never throws.
 */
export function privateDirProblem(dir: string): string | undefined {
  let stat;
  try {
    stat = lstatSync(dir, { throwIfNoEntry: false });
  } catch (error) {
    return `cannot stat ${dir}: ${errorMessage(error)}`;
  }
  if (stat === undefined) return `no cached launch yet (${dir} does not exist)`;
  if (!stat.isDirectory()) return `${dir} is not a directory`;
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) return `${dir} belongs to uid ${stat.uid}, not to this user`;
  if ((stat.mode & 0o077) !== 0) return `${dir} has mode ${(stat.mode & 0o777).toString(8)}, not 700`;
  return undefined;
}

/**
 * The text of `file` when it is one of ours: a regular file (not a symlink: O_NOFOLLOW) owned by this
 * user with no permission for group or others; otherwise why not. Never throws.
 */
export function readPrivateFile(file: string): { text: string } | { problem: string } {
  const read = readOwnFile(file, { forbiddenMode: 0o077, wantedMode: '600' });
  if ('data' in read) return { text: read.data.toString('utf8') };
  return { problem: read.code === 'ENOENT' ? 'no cached launch' : read.problem };
}

/**
 * Replace `dir`/`name` with `text`: `dir` is created with mode 0700 when missing and must pass
 * privateDirProblem; the text goes to a new 0600 file renamed over the old one (writeFileAtomic), so
 * a reader sees the old entry or the new one, never half of one, and whatever was at the name (a
 * foreign or wide-open file) is replaced. Then the least recently used entries beyond MAX_ENTRIES are
 * removed. Returns why nothing was written, or undefined. Never throws.
 */
export function writePrivateFile(dir: string, name: string, text: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    return `cannot create ${dir}: ${errorMessage(error)}`;
  }
  const problem = privateDirProblem(dir);
  if (problem !== undefined) return problem;
  const file = path.join(dir, name);
  try {
    writeFileAtomic(file, text, { keepMode: false, durable: false });
  } catch (error) {
    return `cannot write ${file}: ${errorMessage(error)}`;
  }
  pruneEntries(dir);
  return undefined;
}

/** Mark `file` as just used (for the least-recently-used pruning). Never throws. */
export function touchEntry(file: string): void {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // Pruned a little early at worst.
  }
}

/** Remove the least recently used entries of `dir` beyond `keep`. Never throws. */
export function pruneEntries(dir: string, keep = MAX_ENTRIES): void {
  try {
    const entries = readdirSync(dir)
      .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
      .map((name) => {
        const file = path.join(dir, name);
        return { file, used: lstatSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0 };
      })
      .sort((a, b) => b.used - a.used);
    for (const { file } of entries.slice(keep)) unlinkSync(file);
  } catch {
    // Another warden pruned at the same time, or the directory went away: nothing to do.
  }
}
