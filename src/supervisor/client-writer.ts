import type { Readable, Writable } from 'node:stream';

/**
 * Writes whole lines to a stream with back-pressure: when the destination is full, the `source` that
 * feeds it is paused until 'drain', so a slow reader slows the producer instead of growing a buffer.
 * Lines written in the same tick (all the lines of one incoming chunk) are corked and leave in one
 * writev system call: one syscall per message was the largest cost of pipelined traffic.
 */
const NEWLINE = Buffer.from('\n');

export class LineWriter {
  readonly #out: Writable;
  #source: Readable | undefined;
  #closed = false;
  #corked = false;
  readonly #uncork = (): void => {
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

  get closed(): boolean {
    return this.#closed || this.#out.destroyed || this.#out.writableEnded;
  }

  write(line: Buffer): void {
    if (this.closed) return;
    if (!this.#corked) {
      this.#corked = true;
      this.#out.cork();
      process.nextTick(this.#uncork);
    }
    if (!this.#out.write(line)) {
      const source = this.#source;
      if (source && !source.isPaused()) {
        source.pause();
        this.#out.once('drain', () => source.resume());
      }
    }
  }

  /**
   * Write `body` followed by a newline without concatenating them (a multi-megabyte message is not
   * copied again): both pieces leave in the same corked writev.
   */
  writeLine(body: Buffer): void {
    this.write(body);
    this.write(NEWLINE);
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
