import { Writable } from 'node:stream';

export interface LineSinkOptions {
  /** Each complete line, without its "\n". */
  onLine: (line: Buffer) => void;
  /** True while the client is not taking more (one of its responses is full). Default: never. */
  clientBacklogged?: () => boolean;
  /** Settles when the client takes more again; asked only while clientBacklogged() is true. */
  clientReady?: () => Promise<void>;
  /** Most bytes that may queue behind a held write (see {@link LineSink}); default: no bound. */
  maxQueuedBytes?: number;
  /** Called once when more than maxQueuedBytes queue; from then on every line is dropped. */
  onOverflow?: (queuedBytes: number) => void;
}

/**
 * A Writable that cuts what is written into newline-terminated lines and hands each one over. The
 * supervisor writes whole lines (possibly several per writev), so a partial line only ever waits for
 * the rest of itself.
 *
 * Back-pressure: when a write that completed a line finds the client backlogged, its callback is held
 * until the client is ready, so the writer (the supervisor's LineWriter) sees a full stream and stops
 * reading the sandbox's stdout: the pipe fills and the server blocks. What is written meanwhile queues
 * here, at most the rest of one chunk; past `maxQueuedBytes` queued (the held write not counted: it was
 * already handed over) the sink gives up on the client.
 */
export class LineSink extends Writable {
  #partial: Buffer[] = [];
  readonly #o: LineSinkOptions;
  /** The callback of the write being held, with the bytes it counts for. */
  #held: { callback: (error?: Error | null) => void; bytes: number } | undefined;
  #released = false;
  #dropping = false;
  #dropped = 0;

  constructor(options: LineSinkOptions) {
    super({ decodeStrings: true });
    this.#o = options;
  }

  /** Bytes written and not yet handed over, the held write excluded. */
  get queuedBytes(): number {
    return this.writableLength - (this.#held?.bytes ?? 0);
  }

  /** True while a write is held for a client that is not taking more. */
  get holding(): boolean {
    return this.#held !== undefined;
  }

  /** Lines dropped by {@link release} or {@link drop}. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Never hold a write again, and let the held one go: the session is ending. Lines still come (the
   * server may answer while it stops) and reach a client that reads; those for a backlogged client are
   * dropped, so a server flooding while it stops neither waits for the client nor grows the queue.
   */
  release(): void {
    this.#released = true;
    this.#finishHeld();
  }

  /** Drop every line from now on (after an overflow). */
  drop(): void {
    this.#dropping = true;
    this.#partial = [];
    this.release();
  }

  override write(
    chunk: unknown,
    encoding?: BufferEncoding | ((error: Error | null | undefined) => void),
    callback?: (error: Error | null | undefined) => void,
  ): boolean {
    const ok = super.write(chunk, encoding as BufferEncoding, callback);
    this.#checkQueue();
    return ok;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let start = 0;
    let lines = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const line = this.#partial.length > 0 ? Buffer.concat([...this.#partial, piece]) : piece;
      this.#partial = [];
      start = nl + 1;
      if (this.#dropping || (this.#released && this.#backlogged())) {
        this.#dropped++;
        continue;
      }
      lines++;
      try {
        this.#o.onLine(line);
      } catch (error) {
        callback(error as Error);
        return;
      }
    }
    if (start < chunk.length && !this.#dropping) this.#partial.push(chunk.subarray(start));
    if (lines === 0 || this.#released || !this.#backlogged() || !this.#o.clientReady) {
      callback();
      return;
    }
    const held = { callback, bytes: chunk.length };
    this.#held = held;
    this.#checkQueue();
    const done = (): void => {
      if (this.#held === held) this.#finishHeld();
    };
    this.#o.clientReady().then(done, done);
  }

  #backlogged(): boolean {
    return this.#o.clientBacklogged?.() ?? false;
  }

  #finishHeld(): void {
    const held = this.#held;
    this.#held = undefined;
    held?.callback();
  }

  #checkQueue(): void {
    const max = this.#o.maxQueuedBytes;
    if (max === undefined || this.#dropping || !this.#held) return;
    const queued = this.queuedBytes;
    if (queued <= max) return;
    this.drop();
    this.#o.onOverflow?.(queued);
  }
}
