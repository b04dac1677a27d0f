import { readFileSync } from 'node:fs';
import path from 'node:path';
import { recordedParent } from '../../config/root-links.ts';
import { RECORD_FILE, readRwRoots } from '../../config/rw-root-record.ts';

/** Which recorded read-write root holds a directory: that root, or undefined. */
export type RecordLookup = (dir: string) => string | undefined;

/** Anything a line of the record could hold besides a plain JSON string: an escape, or space around it. */
const UNUSUAL = /\\|(?:^|\n)[ \t\r]|[ \t\r](?:\n|$)/;

/**
 * The record of read-write roots in `stateDir` (src/config/rw-root-record.ts), as a lookup of the
 * recorded root that contains `dir` or is `dir` (`dir` absolute and normal), like recordedParent over
 * readRwRoots. Instead of parsing every line (a record grows to 256 KB; the fast start reads it before
 * anything else has loaded), each of `dir`'s few ancestors is looked for as a whole line of the text,
 * written as the record writes it; a record with any other kind of line is parsed as usual. A missing
 * or unreadable record holds nothing. Never throws.
 */
export function recordLookup(stateDir: string): RecordLookup {
  let text: string;
  try {
    text = readFileSync(path.join(stateDir, RECORD_FILE), 'utf8');
  } catch {
    return () => undefined;
  }
  if (UNUSUAL.test(text)) {
    const recorded = readRwRoots(stateDir);
    return (dir) => recordedParent(dir, recorded);
  }
  return (dir) => {
    // Outermost first, like recordedParent over a record in the order roots were added: any answer
    // means "inside a recorded root", which is all the callers ask.
    const ancestors: string[] = [];
    for (let at = dir; ; at = path.dirname(at)) {
      ancestors.unshift(at);
      if (at === path.dirname(at)) break;
    }
    return ancestors.find((at) => hasLine(text, JSON.stringify(at)));
  };
}

/** Whether `line` is one whole line of `text`. */
function hasLine(text: string, line: string): boolean {
  for (let at = text.indexOf(line); at >= 0; at = text.indexOf(line, at + 1)) {
    const end = at + line.length;
    if ((at === 0 || text[at - 1] === '\n') && (end === text.length || text[end] === '\n')) return true;
  }
  return false;
}
