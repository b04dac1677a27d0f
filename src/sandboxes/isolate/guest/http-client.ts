// node:http's ClientRequest for the isolate. The body is collected until end(), then the whole request
// goes to the host, which sends it through the warden's egress proxy (never anywhere else). Headers,
// 'response', 'error', 'close', 'timeout', abort/destroy, AbortSignal and the request options common
// clients pass behave as in Node; options about sockets (agent, lookup, family, localAddress,
// createConnection) are ignored, since the only connection there is is the host's to the proxy.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { Buffer } from './buffer.ts';
import { EventEmitter } from './events.ts';
import { IncomingMessage } from './http-incoming.ts';
import { type HostRequest, startRequest } from './net-client.ts';
import { type Timeout, clearTimeout, setTimeout } from './timers.ts';
import { DOMException } from './web-globals.ts';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const codeError = (Kind: ErrorConstructor, code: string, message: string): Error =>
  Object.assign(new Kind(message), { code });

/** http.validateHeaderName. */
export function validateHeaderName(name: unknown): void {
  if (typeof name !== 'string' || !TOKEN.test(name))
    throw codeError(
      TypeError,
      'ERR_INVALID_HTTP_TOKEN',
      `Header name must be a valid HTTP token ["${String(name)}"]`,
    );
}

/** http.validateHeaderValue. */
export function validateHeaderValue(name: string, value: unknown): void {
  if (value === undefined)
    throw codeError(
      TypeError,
      'ERR_HTTP_INVALID_HEADER_VALUE',
      `Invalid value "undefined" for header "${name}"`,
    );
  const values = Array.isArray(value) ? value : [value];
  for (const v of values)
    if (/[^\t\x20-\x7e\x80-\xff]/.test(String(v)))
      throw codeError(TypeError, 'ERR_INVALID_CHAR', `Invalid character in header content ["${name}"]`);
}

/** A stand-in for the request's socket: the events and no-op tuning calls clients make on it. */
class RequestSocket extends EventEmitter {
  readonly encrypted: boolean;
  readonly authorized: boolean;
  remoteAddress: string | undefined = undefined;
  remotePort: number | undefined = undefined;
  readonly #request: ClientRequest;
  constructor(request: ClientRequest, https: boolean) {
    super();
    this.#request = request;
    this.encrypted = https;
    this.authorized = https;
  }
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(ms: number, callback?: () => void): this {
    this.#request.setTimeout(ms, callback);
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  destroy(error?: Error): this {
    this.#request.destroy(error);
    return this;
  }
  getPeerCertificate(): Record<string, never> {
    return {};
  }
}

/** The resolved request options (request() in http.ts builds them). */
export interface ClientOptions {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
  defaultPort: number;
  path: string;
  method: string;
  headers: Array<[string, string | string[]]>;
  setHost: boolean;
  auth: string | undefined;
  timeout: number | undefined;
  signal: any;
  tls: { rejectUnauthorized?: boolean; ca?: string[] } | undefined;
}

/** http.ClientRequest. */
export class ClientRequest extends EventEmitter {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly protocol: string;
  aborted = false;
  destroyed = false;
  finished = false;
  writableEnded = false;
  writableFinished = false;
  headersSent = false;
  reusedSocket = false;
  maxHeadersCount: number | null = null;
  socket: RequestSocket | null = null;
  res: IncomingMessage | null = null;
  readonly #options: ClientOptions;
  readonly #headers = new Map<string, [string, string | string[]]>();
  #chunks: Buffer[] = [];
  #host: HostRequest | undefined;
  #timer: Timeout | undefined;
  #timeoutMs = 0;

  constructor(options: ClientOptions, callback?: (res: IncomingMessage) => void) {
    super();
    this.#options = options;
    this.method = options.method;
    this.path = options.path;
    this.host = options.hostname;
    this.protocol = options.protocol;
    for (const [name, value] of options.headers) this.setHeader(name, value);
    if (options.setHost && !this.hasHeader('host')) {
      const name = options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname;
      this.setHeader('Host', options.port === options.defaultPort ? name : `${name}:${options.port}`);
    }
    if (options.auth !== undefined && !this.hasHeader('authorization'))
      this.setHeader('Authorization', `Basic ${Buffer.from(options.auth).toString('base64')}`);
    if (typeof callback === 'function') this.once('response', callback);
    if (options.timeout !== undefined) this.setTimeout(options.timeout);
    const signal = options.signal;
    if (signal) {
      const abort = (): void =>
        void this.destroy(
          Object.assign(new DOMException('The operation was aborted', 'AbortError'), {
            code: 'ABORT_ERR',
            cause: signal.reason,
          }),
        );
      if (signal.aborted) queueMicrotask(abort);
      else signal.addEventListener('abort', abort, { once: true });
    }
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    if (this.headersSent)
      throw codeError(Error, 'ERR_HTTP_HEADERS_SENT', 'Cannot set headers after they are sent to the client');
    validateHeaderName(name);
    validateHeaderValue(name, value);
    this.#headers.set(name.toLowerCase(), [name, Array.isArray(value) ? value.map(String) : String(value)]);
    return this;
  }
  getHeader(name: string): string | string[] | undefined {
    return this.#headers.get(String(name).toLowerCase())?.[1];
  }
  getHeaders(): Record<string, string | string[]> {
    return Object.fromEntries([...this.#headers].map(([lower, [, value]]) => [lower, value]));
  }
  getHeaderNames(): string[] {
    return [...this.#headers.keys()];
  }
  getRawHeaderNames(): string[] {
    return [...this.#headers.values()].map(([name]) => name);
  }
  hasHeader(name: string): boolean {
    return this.#headers.has(String(name).toLowerCase());
  }
  removeHeader(name: string): void {
    if (this.headersSent)
      throw codeError(
        Error,
        'ERR_HTTP_HEADERS_SENT',
        'Cannot remove headers after they are sent to the client',
      );
    this.#headers.delete(String(name).toLowerCase());
  }

  write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (this.writableEnded) {
      const error = codeError(Error, 'ERR_STREAM_WRITE_AFTER_END', 'write after end');
      queueMicrotask(() => this.emit('error', error));
      if (typeof done === 'function') queueMicrotask(() => (done as (e: Error) => void)(error));
      return false;
    }
    if (chunk !== undefined && chunk !== null) {
      this.#chunks.push(
        typeof chunk === 'string'
          ? Buffer.from(chunk, (typeof encoding === 'string' ? encoding : 'utf8') as BufferEncoding)
          : Buffer.from(chunk as Uint8Array),
      );
    }
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }

  end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    if (typeof chunk === 'function') return this.end(undefined, undefined, chunk);
    if (typeof encoding === 'function') return this.end(chunk, undefined, encoding);
    if (this.writableEnded) return this;
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    this.writableEnded = true;
    this.finished = true;
    if (typeof callback === 'function') this.once('finish', callback as () => void);
    this.#send();
    return this;
  }

  /** Headers and body go together at end(): there is nothing to flush before. */
  flushHeaders(): void {}
  setNoDelay(): void {}
  setSocketKeepAlive(): void {}

  setTimeout(ms: number, callback?: () => void): this {
    if (callback) this.once('timeout', callback);
    this.#timeoutMs = Math.max(0, Number(ms) || 0);
    this.#armTimer();
    return this;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    queueMicrotask(() => this.emit('abort'));
    this.destroy();
  }

  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.#clearTimer();
    this.#host?.abort();
    if (this.res && !this.res.complete)
      this.res.fail(error ?? Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    queueMicrotask(() => {
      if (error) this.emit('error', error);
      this.emit('close');
    });
    return this;
  }

  #send(): void {
    if (this.destroyed) return;
    this.headersSent = true;
    const options = this.#options;
    const socket = new RequestSocket(this, options.protocol === 'https:');
    this.socket = socket;
    queueMicrotask(() => {
      if (this.destroyed) return;
      this.emit('socket', socket);
      this.writableFinished = true;
      this.emit('finish');
    });
    const headers: Array<[string, string]> = [];
    for (const [name, value] of this.#headers.values())
      for (const v of Array.isArray(value) ? value : [value]) headers.push([name, v]);
    const body = this.#chunks.length === 0 ? null : new Uint8Array(Buffer.concat(this.#chunks));
    this.#chunks = [];
    let res: IncomingMessage | undefined;
    try {
      this.#host = startRequest(
        {
          protocol: options.protocol,
          hostname: options.hostname,
          port: options.port,
          path: options.path,
          method: options.method,
          headers,
          body,
          decompress: false,
          ...(options.tls === undefined ? {} : { tls: options.tls }),
        },
        {
          response: (head) => {
            this.#armTimer();
            res = new IncomingMessage(head, this.#host as HostRequest, this, socket);
            this.res = res;
            res.once('end', () => {
              this.#clearTimer();
              queueMicrotask(() => this.emit('close'));
            });
            // As Node: without a 'response' listener the body is read and dropped.
            if (!this.emit('response', res)) res.resume();
          },
          data: (chunk) => {
            this.#armTimer();
            res?.push(chunk);
          },
          end: () => res?.finish(),
          error: (error) => {
            this.#clearTimer();
            if (res) res.fail(error);
            else if (!this.destroyed) {
              this.destroyed = true;
              this.emit('error', error);
              this.emit('close');
            }
          },
        },
      );
    } catch (error) {
      this.destroyed = true;
      queueMicrotask(() => {
        this.emit('error', error);
        this.emit('close');
      });
    }
  }

  #armTimer(): void {
    this.#clearTimer();
    if (this.#timeoutMs > 0 && !this.destroyed)
      this.#timer = setTimeout(() => this.emit('timeout'), this.#timeoutMs);
  }
  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
