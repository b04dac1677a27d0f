// The body half of fetch's Request and Response: what a body may be made of (strings, bytes,
// URLSearchParams, streams and async iterables, Blob-likes), read once, whole or as a stream.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { BodySource, BodyStream, isStreamBody } from './body-stream.ts';
import { TextDecoder, TextEncoder } from './text.ts';
import { URLSearchParams } from './url.ts';

/** What a Request or Response body may be made of. */
export type BodyInit =
  | string
  | ArrayBuffer
  | ArrayBufferView
  | URLSearchParams
  | BodyStream
  | AsyncIterable<Uint8Array | string>
  | { arrayBuffer(): Promise<ArrayBuffer>; type?: string };

/** The key of Body's read-everything method (fetch reads a Request's body with it). */
export const CONSUME = Symbol('consume');

const encoder = new TextEncoder();

/** The body of `init` as a source (read once) and its implied Content-Type. */
export function extractBody(body: unknown): { source: BodySource | null; type: string | null } {
  if (body === undefined || body === null) return { source: null, type: null };
  if (typeof body === 'string')
    return { source: BodySource.of(encoder.encode(body)), type: 'text/plain;charset=UTF-8' };
  if (body instanceof URLSearchParams)
    return {
      source: BodySource.of(encoder.encode(body.toString())),
      type: 'application/x-www-form-urlencoded;charset=UTF-8',
    };
  if (body instanceof ArrayBuffer)
    return { source: BodySource.of(new Uint8Array(body.slice(0))), type: null };
  if (ArrayBuffer.isView(body))
    return {
      source: BodySource.of(new Uint8Array(body.buffer, body.byteOffset, body.byteLength).slice()),
      type: null,
    };
  if (isStreamBody(body)) {
    const source = new BodySource();
    void pump(body, source);
    return { source, type: null };
  }
  if (typeof (body as any).arrayBuffer === 'function') {
    const source = new BodySource();
    void Promise.resolve((body as any).arrayBuffer()).then(
      (buffer: ArrayBuffer) => {
        source.push(new Uint8Array(buffer));
        source.end();
      },
      (error: unknown) => source.fail(error),
    );
    const type = typeof (body as any).type === 'string' && (body as any).type ? (body as any).type : null;
    return { source, type };
  }
  return { source: BodySource.of(encoder.encode(String(body))), type: 'text/plain;charset=UTF-8' };
}

async function pump(body: any, source: BodySource): Promise<void> {
  try {
    const chunks: AsyncIterable<unknown> =
      typeof body[Symbol.asyncIterator] === 'function'
        ? body
        : {
            async *[Symbol.asyncIterator]() {
              const reader = body.getReader();
              for (;;) {
                const next = await reader.read();
                if (next.done) return;
                yield next.value;
              }
            },
          };
    for await (const chunk of chunks) {
      if (typeof chunk === 'string') source.push(encoder.encode(chunk));
      else if (ArrayBuffer.isView(chunk))
        source.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice());
      else if (chunk instanceof ArrayBuffer) source.push(new Uint8Array(chunk.slice(0)));
      else throw new TypeError('a body stream must yield bytes (Uint8Array) or strings');
    }
    source.end();
  } catch (error) {
    source.fail(error);
  }
}

const unusable = (): TypeError => new TypeError('Body is unusable: Body has already been read');

/** The body half shared by Request and Response: read once, whole or as a stream. */
export class Body {
  #source: BodySource | null;
  #stream: BodyStream | null = null;
  #used = false;
  readonly #limit: number;
  readonly #what: string;
  readonly #hidden: boolean;

  constructor(source: BodySource | null, limit: number, what: string, hidden = false) {
    this.#source = source;
    this.#limit = limit;
    this.#what = what;
    this.#hidden = hidden;
  }

  get body(): BodyStream | null {
    if (this.#source === null || this.#hidden) return null;
    this.#stream ??= new BodyStream(this.#source);
    return this.#stream;
  }
  get bodyUsed(): boolean {
    return this.#used || (this.#stream?.locked ?? false);
  }

  /** Every byte of the body (empty without one); marks it used. */
  async [CONSUME](): Promise<Uint8Array | null> {
    if (this.bodyUsed) throw unusable();
    this.#used = true;
    if (this.#source === null) return null;
    const limit = this.#limit;
    return this.#source.all(
      limit,
      () =>
        new TypeError(
          `mcp-warden: the body of ${this.#what} is larger than ${Math.round(limit / 2 ** 20)} MB (a quarter of the isolate's heap); read it in pieces from .body, or raise the limit with --memory`,
        ),
    );
  }

  /** A second body with the same bytes (clone()): this one keeps one branch of a tee. */
  protected teeBody(): BodySource | null {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    if (this.#source === null) return null;
    const [mine, theirs] = [new BodySource(), new BodySource()];
    const from = this.#source;
    void (async () => {
      try {
        for (;;) {
          const next = await from.read();
          if (next.done) break;
          mine.push(next.value);
          theirs.push(next.value.slice());
        }
        mine.end();
        theirs.end();
      } catch (error) {
        mine.fail(error);
        theirs.fail(error);
      }
    })();
    this.#source = mine;
    return theirs;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = (await this[CONSUME]()) ?? new Uint8Array(0);
    return bytes.buffer.byteLength === bytes.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : bytes.slice().buffer;
  }
  async bytes(): Promise<Uint8Array> {
    return (await this[CONSUME]()) ?? new Uint8Array(0);
  }
  async text(): Promise<string> {
    return new TextDecoder().decode((await this[CONSUME]()) ?? new Uint8Array(0));
  }
  async json(): Promise<any> {
    return JSON.parse(await this.text());
  }
  async blob(): Promise<never> {
    throw new TypeError(
      'mcp-warden: Blob is not available under --profile isolate; use arrayBuffer() or bytes()',
    );
  }
  async formData(): Promise<never> {
    throw new TypeError(
      'mcp-warden: FormData is not available under --profile isolate; use text() or json()',
    );
  }
}
