// fetch's Request and Response classes (the network side is fetch.ts).
import type { BodySource } from './body-stream.ts';
import { Body, type BodyInit, extractBody } from './fetch-body.ts';
import { Headers, type HeadersInit } from './headers.ts';
import { URL } from './url.ts';
import { AbortController, type AbortSignal } from './web-globals.ts';

/** Redirect statuses fetch follows. */
export const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Statuses whose response has no body. */
export const NULL_BODY = new Set([101, 103, 204, 205, 304]);
/** Passed to Response's constructor by fetch only: the response came from the network. */
export const INTERNAL = Symbol('internal');

/** Options of `new Request()` and fetch(). */
export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
  signal?: AbortSignal | null;
  redirect?: 'follow' | 'manual' | 'error';
  [key: string]: unknown;
}

function normaliseMethod(method: unknown): string {
  const text = String(method);
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(text))
    throw new TypeError(`'${text}' is not a valid HTTP method.`);
  const upper = text.toUpperCase();
  if (['CONNECT', 'TRACE', 'TRACK'].includes(upper))
    throw new TypeError(`'${text}' HTTP method is unsupported.`);
  return ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'].includes(upper) ? upper : text;
}

export function parseUrl(input: string): URL {
  try {
    return new URL(input);
  } catch (error) {
    throw new TypeError(`Failed to parse URL from ${input}`, { cause: error });
  }
}

/** fetch's Request. */
export class Request extends Body {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly signal: AbortSignal;
  readonly redirect: 'follow' | 'manual' | 'error';
  readonly credentials = 'same-origin';
  readonly mode = 'cors';
  readonly cache = 'default';
  readonly keepalive = false;
  readonly integrity = '';
  readonly referrer = 'about:client';
  readonly referrerPolicy = '';
  readonly destination = '';
  readonly duplex = 'half';

  constructor(input: string | URL | Request, init: RequestInit = {}) {
    const from = input instanceof Request ? input : undefined;
    const url = parseUrl(from ? from.url : String(input));
    if (url.username || url.password)
      throw new TypeError(
        `Request cannot be constructed from a URL that includes credentials: ${String(input)}`,
      );
    const method = init.method === undefined ? (from?.method ?? 'GET') : normaliseMethod(init.method);
    const hasBody = init.body !== undefined && init.body !== null;
    if (hasBody && (method === 'GET' || method === 'HEAD'))
      throw new TypeError('Request with GET/HEAD method cannot have body.');
    const extracted = hasBody
      ? extractBody(init.body)
      : { source: from ? from.teeBody() : null, type: null as string | null };
    super(extracted.source, Number.POSITIVE_INFINITY, `the request to ${url.href}`);
    this.url = url.href;
    this.method = method;
    this.headers = new Headers(init.headers ?? from?.headers);
    if (extracted.type !== null && !this.headers.has('content-type'))
      this.headers.set('content-type', extracted.type);
    this.redirect = init.redirect ?? from?.redirect ?? 'follow';
    if (!['follow', 'manual', 'error'].includes(this.redirect))
      throw new TypeError(`'${String(this.redirect)}' is not a valid redirect mode`);
    // Its own signal, following the given one, as in Node.
    const controller = new AbortController();
    const parent = init.signal === undefined ? from?.signal : init.signal;
    if (parent?.aborted) controller.abort(parent.reason);
    else parent?.addEventListener('abort', () => controller.abort(parent.reason), { once: true });
    this.signal = controller.signal;
  }

  clone(): Request {
    return new Request(this);
  }
  get [Symbol.toStringTag](): string {
    return 'Request';
  }
}

/** Options of `new Response()`. */
export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
}

export interface Internal {
  source: BodySource | null;
  url: string;
  redirected: boolean;
  nullBody: boolean;
  limit: number;
}

/** fetch's Response. */
export class Response extends Body {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly type: 'basic' | 'default' | 'error';
  readonly url: string;
  readonly redirected: boolean;

  constructor(body?: BodyInit | null, init: ResponseInit = {}, internal?: typeof INTERNAL, net?: Internal) {
    const fromNet = internal === INTERNAL && net !== undefined;
    const status = init.status ?? 200;
    if (!fromNet && (!Number.isInteger(status) || status < 200 || status > 599))
      throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive.`);
    const extracted = fromNet ? { source: net.source, type: null } : extractBody(body);
    if (!fromNet && extracted.source !== null && NULL_BODY.has(status))
      throw new TypeError('Response constructor: Invalid response status code ' + status);
    super(
      extracted.source,
      fromNet ? net.limit : Number.POSITIVE_INFINITY,
      fromNet ? `the response from ${net.url}` : 'the response',
      fromNet ? net.nullBody : false,
    );
    this.status = status;
    this.statusText = init.statusText ?? '';
    this.headers = new Headers(init.headers);
    if (extracted.type !== null && !this.headers.has('content-type'))
      this.headers.set('content-type', extracted.type);
    this.type = fromNet ? 'basic' : 'default';
    this.url = fromNet ? net.url : '';
    this.redirected = fromNet ? net.redirected : false;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  clone(): Response {
    const source = this.teeBody();
    const copy = new Response(null, this, INTERNAL, {
      source,
      url: this.url,
      redirected: this.redirected,
      nullBody: this.body === null,
      limit: Number.POSITIVE_INFINITY,
    });
    (copy as { type: string }).type = this.type;
    return copy;
  }

  static error(): Response {
    const response = new Response(null, { status: 200 });
    Object.assign(response, { type: 'error', status: 0 });
    return response;
  }
  static json(data: unknown, init: ResponseInit = {}): Response {
    const headers = new Headers(init.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(JSON.stringify(data), { ...init, headers });
  }
  static redirect(url: string | URL, status = 302): Response {
    if (!REDIRECTS.has(status)) throw new RangeError(`Invalid status code ${status}`);
    return new Response(null, { status, headers: { location: parseUrl(String(url)).href } });
  }
  get [Symbol.toStringTag](): string {
    return 'Response';
  }
}
