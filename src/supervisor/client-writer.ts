import type { Readable, Writable } from 'node:stream';

/**
 * Writes whole lines to a stream with back-pressure: when the destination is full, the `source` that
 * feeds it is paused until 'drain', so a slow reader slows the producer instead of growing a buffer.
 * The first line of a tick leaves at once; the lines after it in the same tick (the rest of one
 * incoming chunk) are corked and leave in one writev system call: one syscall per message was the
 * largest cost of pipelined traffic, and corking a lone line (an interactive call) only cost time.
 */

export class LineWriter {
  readonly #out: Writable;
  #source: Readable | undefined;
  /** See holdOwnWrites. */
  #own: { source: Readable; maxBytes: number; pending: number; held: boolean } | undefined;
  #closed = false;
  /** A line was written in this tick: the next one corks. */
  #wroteThisTick = false;
  #corked = false;
  readonly #endTick = (): void => {
    this.#wroteThisTick = false;
    if (!this.#corked) return;
    this.#corked = false;
    this.#out.uncork();
  };

  constructor(out: Writable) {
    this.#out = out;
    out.on('error', () => {
      // The reader went away (EPIPE). Nothing more can be delivered; the session notices via its own EOF.
      this.#closed = true;
    });
  }

  /** The stream to pause when this writer's destination is full (may change on sandbox restart). */
  setSource(source: Readable | undefined): void {
    this.#source = source;
  }

  /**
   * Bound what {@link writeOwn} adds to a full destination: once more than `maxBytes` of such lines
   * wait (written since the destination last drained), `source` is paused until 'drain'. The source
   * is what causes them (the client, whose messages the warden answers itself), so a reader that
   * stops reading while it keeps sending cannot grow the buffer. Lines from {@link write} never count:
   * a flood passing through does not stop `source`, so its messages still flow the other way.
   */
  holdOwnWrites(source: Readable, maxBytes: number): void {
    this.#own = { source, maxBytes, pending: 0, held: false };
    this.#out.on('drain', () => {
      if (this.#own) this.#own.pending = 0;
    });
  }

  get closed(): boolean {
    return this.#closed || this.#out.destroyed || this.#out.writableEnded;
  }

  write(line: Buffer): void {
    if (this.closed) return;
    if (!this.#wroteThisTick) {
      this.#wroteThisTick = true;
      process.nextTick(this.#endTick);
    } else if (!this.#corked) {
      this.#corked = true;
      this.#out.cork();
    }
    if (!this.#out.write(line)) {
      const source = this.#source;
      if (source && !source.isPaused()) {
        source.pause();
        this.#out.once('drain', () => source.resume());
      }
    }
  }

  /** Write a line the warden itself originates (an answer to the client): see holdOwnWrites. */
  writeOwn(line: Buffer): void {
    this.write(line);
    const own = this.#own;
    if (!own || this.closed) return;
    // Only what waits counts: a destination that keeps up holds nothing back.
    if (!this.#out.writableNeedDrain) {
      own.pending = 0;
      return;
    }
    own.pending += line.length;
    if (own.pending <= own.maxBytes || own.source.isPaused()) return;
    own.source.pause();
    // One resume per full episode; a source another writer paused and resumed meanwhile is paused
    // again by the next own line while this one still waits.
    if (own.held) return;
    own.held = true;
    this.#out.once('drain', () => {
      own.held = false;
      own.source.resume();
    });
  }

  /** Bytes written but not yet handed to the OS (the reader is slower, or stopped reading). */
  get pendingBytes(): number {
    return this.#out.writableLength;
  }

  /** True while the destination is full: a write now only grows the buffer. */
  get backedUp(): boolean {
    return this.#out.writableNeedDrain;
  }

  /** Resolves when everything written so far has been handed to the OS. */
  flush(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.#out.write('', () => resolve()));
  }

  /** End the stream (the sandbox's stdin): tells a well-behaved server to exit. */
  end(): void {
    if (!this.closed) this.#out.end();
  }
}
