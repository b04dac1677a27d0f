import { MAX_ID_STRING_LENGTH } from './json-rpc.ts';
import type { JsonRpcId } from './json-rpc.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

// Worst case for a 256-character id string written in JSON: every character as a 6-byte \uXXXX
// escape, plus the two quotes. Anything longer cannot be a valid id, so the capture buffer is fixed.
const MAX_CAPTURE = MAX_ID_STRING_LENGTH * 6 + 2;

type Expect = 'key' | 'colon' | 'value' | 'after-value';
type StringRole = 'key' | 'id-value' | 'other';

/**
 * Finds the top-level `"id"` of a JSON object while its bytes stream past, in O(1) memory.
 *
 * Used on oversize lines that the framer discards: the warden still wants to answer the request with
 * an error carrying its id. The MCP SDK serialises `id` after `params`, so the whole line is scanned.
 *
 * Best effort by design: it tracks strings (with escapes) and nesting depth but does not validate
 * JSON. Only depth-1 keys count. Keys are compared on their raw bytes, so an `id` key spelt with
 * `\u` escapes is missed. The first depth-1 `"id"` key decides; scanning stops there.
 */
export class IdSniffer {
  #started = false;
  #done = false;
  #depth = 0;
  #expect: Expect = 'key';
  #keyIsId = false;
  #inString = false;
  /** The previous in-string byte was an unescaped backslash (may carry across chunks). */
  #escape = false;
  #role: StringRole = 'other';
  #capturingScalar = false;
  #capture = Buffer.alloc(MAX_CAPTURE);
  #captureLength = 0;
  #captureOverflow = false;
  #id: JsonRpcId | undefined = undefined;

  /** Feed the next bytes of the discarded line (without the newline). */
  push(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n && !this.#done) {
      if (this.#inString) {
        i = this.#scanString(chunk, i);
        continue;
      }
      const byte = chunk[i] as number;
      i++;
      if (!this.#started) {
        if (isWhitespace(byte)) continue;
        this.#started = true;
        if (byte !== 0x7b /* { */) {
          this.#done = true; // not an object: no id to find
          continue;
        }
        this.#depth = 1;
        this.#expect = 'key';
        continue;
      }
      if (this.#capturingScalar) {
        if (!isWhitespace(byte) && byte !== 0x2c && byte !== 0x7d && byte !== 0x5d) {
          this.#append(chunk, i - 1, i);
          continue;
        }
        this.#capturingScalar = false;
        this.#decide(parseScalar(this.#captured()));
        if (this.#done) continue;
      }
      this.#structural(byte);
    }
  }

  /**
   * The id found so far: a string of at most 256 characters or a safe integer. `undefined` when the
   * line is not an object, has no depth-1 `"id"` key, its id is of another type (null, float, unsafe
   * integer, object...), or the id value had not ended when the line did.
   */
  result(): JsonRpcId | undefined {
    return this.#id;
  }

  #structural(byte: number): void {
    const atTop = this.#depth === 1;
    switch (byte) {
      case QUOTE:
        this.#inString = true;
        this.#escape = false;
        this.#role = 'other';
        if (atTop && this.#expect === 'key') {
          this.#role = 'key';
          this.#resetCapture();
        } else if (atTop && this.#expect === 'value') {
          this.#expect = 'after-value';
          if (this.#keyIsId) {
            this.#role = 'id-value';
            this.#resetCapture();
            this.#appendByte(QUOTE);
          }
        }
        return;
      case 0x7b: // {
      case 0x5b: // [
        if (atTop && this.#expect === 'value') {
          this.#expect = 'after-value';
          if (this.#keyIsId) return this.#decide(undefined); // container id: invalid
        }
        this.#depth++;
        return;
      case 0x7d: // }
      case 0x5d: // ]
        this.#depth--;
        if (this.#depth <= 0) this.#done = true; // the top-level object closed
        return;
      case 0x3a: // :
        if (atTop && this.#expect === 'colon') this.#expect = 'value';
        return;
      case 0x2c: // ,
        if (atTop) {
          this.#expect = 'key';
          this.#keyIsId = false;
        }
        return;
      default:
        if (isWhitespace(byte)) return;
        if (atTop && this.#expect === 'value') {
          // Start of a number or literal (true/false/null).
          this.#expect = 'after-value';
          if (this.#keyIsId) {
            this.#capturingScalar = true;
            this.#resetCapture();
            this.#appendByte(byte);
          }
        }
    }
  }

  /** Skip (and for keys and id values, capture) string bytes from `start`; returns the next index. */
  #scanString(chunk: Buffer, start: number): number {
    let from = start;
    for (;;) {
      const quote = chunk.indexOf(QUOTE, from);
      const end = quote === -1 ? chunk.length : quote;
      // Parity of the backslash run just before `end` decides whether that quote is escaped.
      let run = 0;
      while (end - run - 1 >= start && chunk[end - run - 1] === BACKSLASH) run++;
      const odd = end - run === start ? (run + (this.#escape ? 1 : 0)) % 2 === 1 : run % 2 === 1;
      if (quote === -1) {
        if (this.#role !== 'other') this.#append(chunk, start, end);
        this.#escape = odd;
        return chunk.length;
      }
      if (odd) {
        // Escaped quote: keep looking in the same chunk; the run before the next quote is fresh.
        from = quote + 1;
        if (this.#role !== 'other') this.#append(chunk, start, from);
        this.#escape = false;
        start = from;
        continue;
      }
      if (this.#role !== 'other') this.#append(chunk, start, quote);
      this.#inString = false;
      this.#escape = false;
      this.#endString();
      return quote + 1;
    }
  }

  #endString(): void {
    if (this.#role === 'key') {
      const c = this.#capture;
      this.#keyIsId = !this.#captureOverflow && this.#captureLength === 2 && c[0] === 0x69 && c[1] === 0x64;
      this.#expect = 'colon';
    } else if (this.#role === 'id-value') {
      this.#appendByte(QUOTE);
      this.#decide(parseString(this.#captured()));
    }
  }

  #decide(id: JsonRpcId | undefined): void {
    this.#id = id;
    this.#done = true;
  }

  #resetCapture(): void {
    this.#captureLength = 0;
    this.#captureOverflow = false;
  }

  #append(chunk: Buffer, start: number, end: number): void {
    const length = end - start;
    if (this.#captureOverflow || this.#captureLength + length > MAX_CAPTURE) {
      this.#captureOverflow = true;
      return;
    }
    chunk.copy(this.#capture, this.#captureLength, start, end);
    this.#captureLength += length;
  }

  #appendByte(byte: number): void {
    if (this.#captureLength >= MAX_CAPTURE) this.#captureOverflow = true;
    else this.#capture[this.#captureLength++] = byte;
  }

  /** The captured text, or undefined if it overflowed (then it cannot be a valid id). */
  #captured(): string | undefined {
    if (this.#captureOverflow) return undefined;
    return this.#capture.toString('utf8', 0, this.#captureLength);
  }
}

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function parseScalar(text: string | undefined): JsonRpcId | undefined {
  const value = safeJsonParse(text);
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

function parseString(text: string | undefined): JsonRpcId | undefined {
  const value = safeJsonParse(text);
  return typeof value === 'string' && value.length <= MAX_ID_STRING_LENGTH ? value : undefined;
}

function safeJsonParse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
