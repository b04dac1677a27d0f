import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { errorMessage } from '../errors.ts';

/** The record: one JSON string (a real path) per line, appended to; compacted past this size. */
export const RECORD_FILE = 'rw-roots.jsonl';
const COMPACT_BYTES = 256 * 1024;

/**
 * The real paths of every directory an mcp-warden session on this account has mounted read-write
 * (a sandboxed server could have written anything there, symlinks included). Missing record: none.
 * An unreadable record is reported through `onWarning` and counts as empty.
 */
export function readRwRoots(stateDir: string, onWarning?: (line: string) => void): string[] {
  const file = path.join(stateDir, RECORD_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      onWarning?.(`cannot read the record of read-write roots ${file}: ${errorMessage(error)}`);
    }
    return [];
  }
  const roots = new Set<string>();
  for (const line of text.split('\n')) {
    // Every append starts with a newline, so half the lines are empty: a thrown JSON.parse error for
    // each cost ~20 ms of every start on a record of 100 KB. A plain line (nothing escaped) is its
    // own value; only the others are parsed.
    if (line === '') continue;
    if (PLAIN_LINE.test(line)) {
      if (line.startsWith('"/')) roots.add(line.slice(1, -1));
      continue;
    }
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'string' && value.startsWith('/')) roots.add(value);
    } catch {
      // A torn or foreign line: skipped.
    }
  }
  return [...roots];
}

/** A JSON string with nothing to unescape (no backslash, quote or control character inside the quotes). */
const PLAIN_LINE = /^"[^"\\\p{Cc}]*"$/u;

/**
 * Add `realPaths` (rw roots about to be mounted) to the record, those not in it yet; lines are
 * appended (O_APPEND: concurrent wardens do not tear each other's lines). Past COMPACT_BYTES the file
 * is rewritten without duplicates and without directories that no longer exist (a link inside one is
 * gone with it). Failure is a warning, not an error: the session itself is unaffected, only later
 * sessions lose the refusal of links planted in these roots.
 */
export function recordRwRoots(
  stateDir: string,
  realPaths: readonly string[],
  known: readonly string[],
  onWarning?: (line: string) => void,
): void {
  const fresh = [...new Set(realPaths)].filter((root) => !known.includes(root));
  if (fresh.length === 0) return;
  const file = path.join(stateDir, RECORD_FILE);
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    // The leading newline ends a line torn by a crash, so it cannot swallow these entries.
    appendFileSync(file, `\n${fresh.map((root) => JSON.stringify(root)).join('\n')}\n`, { mode: 0o600 });
    if (statSync(file).size > COMPACT_BYTES) {
      const kept = readRwRoots(stateDir).filter((root) => existsSync(root));
      writeFileAtomic(file, kept.map((root) => `${JSON.stringify(root)}\n`).join(''));
    }
  } catch (error) {
    onWarning?.(
      `cannot record the read-write roots in ${file}: ${errorMessage(error)}; a symlink a server plants in them will not be refused later`,
    );
  }
}
