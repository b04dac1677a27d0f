// node:http's IncomingMessage for the isolate: the response of a ClientRequest as an EventEmitter that
// behaves like Node's Readable for what HTTP clients use: 'data'/'end'/'close'/'error', pause/resume,
// setEncoding, pipe (with 'drain'), the 'readable' event with read(), and async iteration. There is no
// node:stream in the isolate, so it is not a stream.Readable (instanceof checks fail).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { Buffer } from './buffer.ts';
import { EventEmitter } from './events.ts';
import type { HostRequest } from './net-client.ts';
import { StringDecoder } from './string-decoder.ts';

/** Unread bytes queued in the guest before the host is asked to hold the rest. */
const QUEUE_LIMIT = 1 << 20;

/** Headers Node keeps only once (the first value wins), as in its IncomingMessage. */
const SINGLE = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** Node's `message.headers` from raw headers: lower-case names, set-cookie a list, others joined. */
export function headerObject(raw: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = String(raw[i]).toLowerCase();
    const value = String(raw[i + 1]);
    const previous = out[name];
    if (name === 'set-cookie') out[name] = [...((previous as string[] | undefined) ?? []), value];
    else if (previous === undefined) out[name] = value;
    else if (SINGLE.has(name)) continue;
    else out[name] = `${previous as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}

/** http.IncomingMessage (client side): fed by the ClientRequest with the host's events. */
export class IncomingMessage extends EventEmitter {
  httpVersion = '1.1';
  httpVersionMajor = 1;
  httpVersionMinor = 1;
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string | string[]>;
  headersDistinct: Record<string, string[]>;
  rawHeaders: string[];
  trailers: Record<string, string> = {};
  rawTrailers: string[] = [];
  url = '';
  method = null;
  complete = false;
  aborted = false;
  readable = true;
  readableEnded = false;
  destroyed = false;
  readonly socket: unknown;
  readonly req: unknown;
  #queue: Buffer[] = [];
  #queued = 0;
  #ended = false;
  #endEmitted = false;
  #flowing: boolean | null = null;
  #readableMode = false;
  #readablePending = false;
  #decoder: StringDecoder | undefined;
  readonly #host: HostRequest;

  constructor(
    head: { status: number; statusText: string; headers: string[] },
    host: HostRequest,
    req: unknown,
    socket: unknown,
  ) {
    super();
    this.statusCode = head.status;
    this.statusMessage = head.statusText;
    this.rawHeaders = head.headers;
    this.headers = headerObject(head.headers);
    this.headersDistinct = Object.create(null);
    for (let i = 0; i + 1 < head.headers.length; i += 2) {
      const name = String(head.headers[i]).toLowerCase();
      (this.headersDistinct[name] ??= []).push(String(head.headers[i + 1]));
    }
    this.#host = host;
    this.req = req;
    this.socket = socket;
  }

  override on(name: string | symbol, listener: (...args: any[]) => void): this {
    super.on(name, listener);
    if (name === 'data' && this.#flowing !== false) this.resume();
    if (name === 'readable') {
      this.#readableMode = true;
      this.#host.flow(true);
      if (this.#queue.length > 0 || this.#ended) this.#scheduleReadable();
    }
    return this;
  }
  override addListener(name: string | symbol, listener: (...args: any[]) => void): this {
    return this.on(name, listener);
  }

  setEncoding(encoding: string): this {
    this.#decoder = new StringDecoder(encoding);
    return this;
  }
  resume(): this {
    if (this.#flowing === true) return this;
    this.#flowing = true;
    this.#readableMode = false;
    this.#host.flow(true);
    queueMicrotask(() => this.#flush());
    return this;
  }
  pause(): this {
    if (this.#flowing !== false) {
      this.#flowing = false;
      this.#host.flow(false);
    }
    return this;
  }
  isPaused(): boolean {
    return this.#flowing === false;
  }

  /** In paused mode: everything queued (decoded with setEncoding), or null when nothing is. */
  read(): Buffer | string | null {
    if (this.#queue.length === 0) {
      queueMicrotask(() => this.#maybeEnd());
      return null;
    }
    const data = Buffer.concat(this.#queue);
    this.#queue = [];
    this.#queued = 0;
    if (this.#readableMode) this.#host.flow(true);
    return this.#decoder ? this.#decoder.write(data) : data;
  }

  pipe<T extends { write(chunk: unknown): unknown; end(): unknown; once?: (...a: any[]) => unknown }>(
    dest: T,
    options?: { end?: boolean },
  ): T {
    this.on('data', (chunk) => {
      if (dest.write(chunk) === false && typeof dest.once === 'function') {
        this.pause();
        dest.once('drain', () => this.resume());
      }
    });
    if (options?.end !== false) this.once('end', () => dest.end());
    (dest as any).emit?.('pipe', this);
    return dest;
  }
  unpipe(): this {
    this.removeAllListeners('data');
    return this;
  }

  setTimeout(ms: number, callback?: () => void): this {
    (this.req as { setTimeout?: (ms: number, cb?: () => void) => unknown }).setTimeout?.(ms, callback);
    return this;
  }

  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.readable = false;
    this.#host.abort();
    this.#queue = [];
    queueMicrotask(() => {
      if (error) this.emit('error', error);
      this.emit('close');
    });
    return this;
  }

  /** A body chunk from the host. */
  push(chunk: Uint8Array): void {
    if (this.destroyed) return;
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#flowing === true && this.#queue.length === 0) this.emit('data', this.#decode(buffer));
    else {
      this.#queue.push(buffer);
      this.#queued += buffer.byteLength;
      // Unread data is held here, in the guest's heap; past a megabyte the host holds the rest back.
      if (this.#queued > QUEUE_LIMIT) this.#host.flow(false);
      if (this.#readableMode) this.#scheduleReadable();
    }
  }
  /** The body ended. */
  finish(): void {
    this.#ended = true;
    this.complete = true;
    if (this.#readableMode) this.#scheduleReadable();
    else this.#flush();
  }
  /** The connection failed before the body ended. */
  fail(error: Error): void {
    if (this.destroyed || this.#ended) return;
    this.aborted = true;
    this.destroyed = true;
    this.readable = false;
    this.emit('aborted');
    if (this.listenerCount('error') > 0) this.emit('error', error);
    this.emit('close');
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer | string> {
    const chunks: Array<Buffer | string> = [];
    let done = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    this.on('data', (chunk) => {
      chunks.push(chunk);
      if (chunks.length > 16) this.pause();
      notify();
    });
    this.once('end', () => {
      done = true;
      notify();
    });
    this.once('error', (error) => {
      failure = error;
      notify();
    });
    this.once('aborted', () => {
      failure ??= Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
      notify();
    });
    try {
      for (;;) {
        if (chunks.length > 0) {
          yield chunks.shift() as Buffer | string;
          if (chunks.length === 0) this.resume();
        } else if (failure !== undefined) throw failure;
        else if (done) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      if (!done) this.destroy();
    }
  }

  #decode(buffer: Buffer): Buffer | string {
    return this.#decoder ? this.#decoder.write(buffer) : buffer;
  }
  #flush(): void {
    while (this.#flowing === true && this.#queue.length > 0 && !this.destroyed) {
      const chunk = this.#queue.shift() as Buffer;
      this.#queued -= chunk.byteLength;
      this.emit('data', this.#decode(chunk));
    }
    if (this.#flowing === true) {
      this.#host.flow(true);
      this.#maybeEnd();
    }
  }
  #scheduleReadable(): void {
    if (this.#readablePending) return;
    this.#readablePending = true;
    queueMicrotask(() => {
      this.#readablePending = false;
      if (this.destroyed) return;
      this.emit('readable');
      if (this.#queue.length === 0) this.#maybeEnd();
    });
  }
  #maybeEnd(): void {
    if (!this.#ended || this.#endEmitted || this.#queue.length > 0 || this.destroyed) return;
    this.#endEmitted = true;
    this.readable = false;
    this.readableEnded = true;
    const rest = this.#decoder?.end();
    if (rest) this.emit('data', rest);
    this.emit('end');
    this.emit('close');
  }
}
