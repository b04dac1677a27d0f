import { createHash } from 'node:crypto';

/** The `prev` of the first event of a fresh log. */
export const GENESIS_HASH = '0'.repeat(64);

/** sha256 hex of one log line as written, without its trailing newline. */
export function hashLine(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

/**
 * Links serialized JSON lines into a chain: each line gets `"prev":"<sha256 of the previous line>"`
 * as its first key, so editing, reordering or deleting a line breaks every later link.
 */
export class HashChain {
  #head: string;

  /** `head` is the hash of the last line already in the log (GENESIS_HASH for an empty log). */
  constructor(head: string = GENESIS_HASH) {
    this.#head = head;
  }

  get head(): string {
    return this.#head;
  }

  /** `line` is one serialized JSON object, optionally ending in "\n". Returns the linked line with "\n". */
  link(line: string): string {
    const body = line.endsWith('\n') ? line.slice(0, -1) : line;
    if (!body.startsWith('{')) throw new Error('audit line is not a JSON object');
    // pino leaves a leading comma when the level field is formatted away: `{,"time":...}`.
    const rest = body.startsWith('{,') ? body.slice(2) : body.slice(1);
    const linked = `{"prev":"${this.#head}"${rest === '}' ? '' : ','}${rest}`;
    this.#head = hashLine(linked);
    return `${linked}\n`;
  }
}
