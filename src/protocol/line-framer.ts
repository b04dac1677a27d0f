import { IdSniffer } from './id-sniffer.ts';
import type { JsonRpcId } from './json-rpc.ts';

const NEWLINE = 0x0a;

/** Callbacks of a {@link LineFramer}. They run synchronously inside `push`. */
export interface FramerEvents {
  /**
   * A complete line, without its trailing "\n" (a trailing "\r" is kept; JSON treats it as
   * whitespace). An empty line is passed as an empty Buffer. The Buffer may share memory with the
   * pushed chunk: copy it if you keep it beyond the call and the producer reuses chunks.
   * `terminated` is the same bytes followed by their "\n", in the same memory (`line` is a view of
   * it): what a relay forwards unchanged, without concatenating a newline again.
   */
  onLine(line: Buffer, terminated: Buffer): void;
  /**
   * The current line passed maxBytes without a newline. The framer now discards bytes until the
   * next "\n". Called once per oversize line, as soon as the cap is crossed (never after buffering
   * the whole line). `bytesSoFar` counts the line's bytes received up to and including this chunk.
   */
  onOversizeStart(info: { bytesSoFar: number }): void;
  /**
   * The newline ending an oversize line arrived. `bytes` is the whole line's length (without "\n").
   * `id` is the top-level "id" of the discarded message if the sniffer could find it (string or
   * safe integer), else undefined.
   */
  onOversizeEnd(info: { bytes: number; id: JsonRpcId | undefined }): void;
}

/**
 * Splits a byte stream into "\n"-terminated lines with a hard cap enforced while buffering.
 *
 * Linear in the bytes pushed: each chunk is searched once for newlines and a line's pieces are
 * concatenated once. Memory stays at most `maxBytes` plus one chunk; once a line is over the cap
 * its bytes go only through an O(1)-memory {@link IdSniffer}.
 */
export class LineFramer {
  readonly #maxBytes: number;
  readonly #events: FramerEvents;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Set while discarding an oversize line; its bytes so far are counted in #discarded. */
  #sniffer: IdSniffer | undefined = undefined;
  #discarded = 0;

  /**
   * @param maxBytes the largest allowed line in bytes, excluding the "\n" (a "\r" before it counts);
   *   inclusive: a line of exactly maxBytes bytes is delivered.
   */
  constructor(maxBytes: number, events: FramerEvents) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
    }
    this.#maxBytes = maxBytes;
    this.#events = events;
  }

  /** Bytes of the current, incomplete line held in memory (0 while discarding an oversize line). */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      if (this.#sniffer !== undefined) {
        this.#discard(chunk.subarray(start, end));
        if (newline === -1) return;
        this.#finishOversize();
      } else if (this.#buffered + (end - start) > this.#maxBytes) {
        this.#startOversize(chunk.subarray(start, end));
        if (newline === -1) return;
        this.#finishOversize();
      } else if (newline === -1) {
        if (end > start) {
          this.#chunks.push(chunk.subarray(start, end));
          this.#buffered += end - start;
        }
        return;
      } else {
        this.#emitLine(chunk, start, end);
      }
      start = newline + 1;
    }
  }

  /**
   * End of stream. Returns the number of bytes of an unterminated final line that were dropped
   * (0 if none), including bytes an oversize line discarded so far; onOversizeEnd is not called
   * for it. An unterminated final line is NOT emitted as a message. The framer is reset and reusable.
   */
  end(): { trailingBytes: number } {
    const trailingBytes = this.#sniffer !== undefined ? this.#discarded : this.#buffered;
    this.#chunks = [];
    this.#buffered = 0;
    this.#sniffer = undefined;
    this.#discarded = 0;
    return { trailingBytes };
  }

  /** The line ending at `chunk[newline]` (a "\n"), from `start` in this chunk and what was buffered. */
  #emitLine(chunk: Buffer, start: number, newline: number): void {
    const chunks = this.#chunks;
    const length = this.#buffered + (newline - start);
    // Reset before the callback so a throwing or re-entrant handler sees a clean framer.
    this.#chunks = [];
    this.#buffered = 0;
    if (chunks.length === 0) {
      this.#events.onLine(chunk.subarray(start, newline), chunk.subarray(start, newline + 1));
      return;
    }
    // One copy of a line split across chunks, its newline included.
    chunks.push(chunk.subarray(start, newline + 1));
    const terminated = Buffer.concat(chunks, length + 1);
    this.#events.onLine(terminated.subarray(0, length), terminated);
  }

  #startOversize(piece: Buffer): void {
    const sniffer = new IdSniffer();
    for (const buffered of this.#chunks) sniffer.push(buffered);
    sniffer.push(piece);
    this.#sniffer = sniffer;
    this.#discarded = this.#buffered + piece.length;
    this.#chunks = [];
    this.#buffered = 0;
    this.#events.onOversizeStart({ bytesSoFar: this.#discarded });
  }

  #discard(piece: Buffer): void {
    this.#sniffer?.push(piece);
    this.#discarded += piece.length;
  }

  #finishOversize(): void {
    if (this.#sniffer === undefined) return; // a handler called end() meanwhile
    const bytes = this.#discarded;
    const id = this.#sniffer.result();
    this.#sniffer = undefined;
    this.#discarded = 0;
    this.#events.onOversizeEnd({ bytes, id });
  }
}
