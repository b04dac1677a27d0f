// The body of a fetch Response as it arrives from the host: a queue of chunks read once, either whole
// (text(), json(), arrayBuffer()...) or chunk by chunk through `response.body`, a minimal ReadableStream
// (getReader().read(), async iteration, cancel, tee). The isolate has no WHATWG streams; what this
// stream cannot do (pipeTo, pipeThrough, BYOB readers) throws an error saying so.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** Past this many unread bytes, the source asks the host to hold the rest (flow control). */
const HIGH_WATER = 1 << 20;

type Read = { done: false; value: Uint8Array } | { done: true; value: undefined };

/** Pause/resume for the host side of a body (HostRequest.flow); undefined for bodies built in the guest. */
export type Flow = (on: boolean) => void;

/** The chunks of one body, in order, read once. */
export class BodySource {
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #error: unknown = undefined;
  #waiter: (() => void) | undefined;
  readonly #flow: Flow | undefined;
  readonly #onCancel: (() => void) | undefined;

  constructor(flow?: Flow, onCancel?: () => void) {
    this.#flow = flow;
    this.#onCancel = onCancel;
    flow?.(true);
  }

  /** A body that is already complete (a string or bytes made in the guest). */
  static of(bytes: Uint8Array | null): BodySource {
    const source = new BodySource();
    if (bytes !== null && bytes.byteLength > 0) source.push(bytes);
    source.end();
    return source;
  }

  push(chunk: Uint8Array): void {
    if (this.#ended || this.#error !== undefined) return;
    this.#chunks.push(chunk);
    this.#queued += chunk.byteLength;
    if (this.#queued > HIGH_WATER) this.#flow?.(false);
    this.#wake();
  }
  end(): void {
    this.#ended = true;
    this.#wake();
  }
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#error = error;
    this.#chunks = [];
    this.#queued = 0;
    this.#wake();
  }
  /** Stop reading: drop what is queued and abort the request behind it. */
  cancel(): void {
    if (this.#ended && this.#chunks.length === 0) return;
    this.#chunks = [];
    this.#queued = 0;
    this.#ended = true;
    this.#onCancel?.();
    this.#wake();
  }

  /** The next chunk, or done; rejects with the body's error. */
  async read(): Promise<Read> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        this.#queued -= chunk.byteLength;
        if (this.#queued <= HIGH_WATER / 2) this.#flow?.(true);
        return { done: false, value: chunk };
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }

  /** Everything left, as one Uint8Array; rejects once more than `limit` bytes arrived (`tooBig()`). */
  async all(limit: number, tooBig: () => Error): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const next = await this.read();
      if (next.done) break;
      size += next.value.byteLength;
      if (size > limit) {
        this.cancel();
        throw tooBig();
      }
      parts.push(next.value);
    }
    const out = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    return out;
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}

const unsupported = (what: string): TypeError =>
  new TypeError(
    `mcp-warden: ReadableStream.${what} is not available under --profile isolate (the isolate has no WHATWG streams); read the body with getReader() or for await, or with text()/arrayBuffer()`,
  );

/** A reader of a BodyStream. */
export class BodyReader {
  #source: BodySource | undefined;
  readonly #release: () => void;
  constructor(source: BodySource, release: () => void) {
    this.#source = source;
    this.#release = release;
  }
  read(): Promise<Read> {
    if (this.#source === undefined) return Promise.reject(new TypeError('the reader was released'));
    return this.#source.read();
  }
  cancel(): Promise<void> {
    this.#source?.cancel();
    return Promise.resolve();
  }
  releaseLock(): void {
    this.#source = undefined;
    this.#release();
  }
  get closed(): Promise<void> {
    return Promise.resolve();
  }
}

/** `response.body`: a minimal ReadableStream of Uint8Array chunks over a BodySource. */
export class BodyStream {
  readonly #source: BodySource;
  #locked = false;
  constructor(source: BodySource) {
    this.#source = source;
  }
  get locked(): boolean {
    return this.#locked;
  }
  getReader(options?: { mode?: string }): BodyReader {
    if (options?.mode === 'byob') throw unsupported('getReader({mode: "byob"})');
    if (this.#locked) throw new TypeError('ReadableStream is locked');
    this.#locked = true;
    return new BodyReader(this.#source, () => (this.#locked = false));
  }
  cancel(): Promise<void> {
    this.#source.cancel();
    return Promise.resolve();
  }
  tee(): [BodyStream, BodyStream] {
    const reader = this.getReader();
    const a = new BodySource();
    const b = new BodySource();
    void (async () => {
      try {
        for (;;) {
          const next = await reader.read();
          if (next.done) break;
          a.push(next.value);
          b.push(next.value.slice());
        }
        a.end();
        b.end();
      } catch (error) {
        a.fail(error);
        b.fail(error);
      }
    })();
    return [new BodyStream(a), new BodyStream(b)];
  }
  pipeTo(): never {
    throw unsupported('pipeTo');
  }
  pipeThrough(): never {
    throw unsupported('pipeThrough');
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    const reader = this.getReader();
    let finished = false;
    try {
      for (;;) {
        const next = await reader.read();
        if (next.done) {
          finished = true;
          return;
        }
        yield next.value;
      }
    } finally {
      // Leaving the loop early (break, throw) cancels the body, as for a WHATWG stream.
      if (!finished) await reader.cancel();
      reader.releaseLock();
    }
  }
  values(): AsyncGenerator<Uint8Array> {
    return this[Symbol.asyncIterator]();
  }
  get [Symbol.toStringTag](): string {
    return 'ReadableStream';
  }
}

/** True for the bodies fetch must read before sending: our BodyStream, other streams, async iterables. */
export function isStreamBody(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    (typeof (body as any).getReader === 'function' ||
      typeof (body as any)[Symbol.asyncIterator] === 'function')
  );
}
