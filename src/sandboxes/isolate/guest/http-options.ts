// request()/get() of the isolate's node:http and node:https: Node's argument forms and options turned
// into a ClientRequest, with Node's errors for a wrong protocol, an unescaped path or a bad method.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { Buffer } from './buffer.ts';
import { type ClientOptions, ClientRequest } from './http-client.ts';
import { netInfo } from './net-client.ts';
import { unavailableError } from './unavailable.ts';
import { URL } from './url.ts';

/** The CA option in the forms Node accepts (PEM string, Buffer, or a list of them) as PEM strings. */
function caList(ca: unknown): string[] | undefined {
  if (ca === undefined || ca === null) return undefined;
  return (Array.isArray(ca) ? ca : [ca]).map((c) =>
    typeof c === 'string' ? c : Buffer.from(c).toString('utf8'),
  );
}

/** request()'s options from a URL, as Node's urlToHttpOptions. */
function urlOptions(url: URL): Record<string, unknown> {
  return {
    protocol: url.protocol,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    hash: url.hash,
    search: url.search,
    pathname: url.pathname,
    path: `${url.pathname || ''}${url.search || ''}`,
    href: url.href,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    ...(url.username || url.password
      ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }
      : {}),
  };
}

/** Node's argument forms: (url[, options][, cb]) or (options[, cb]). */
function splitArguments(
  a: unknown,
  b: unknown,
  c: unknown,
): [Record<string, any>, ((res: any) => void) | undefined] {
  if (typeof a === 'string' || a instanceof URL) {
    const base = urlOptions(a instanceof URL ? a : new URL(a));
    if (typeof b === 'function') return [base, b as (res: any) => void];
    return [{ ...base, ...(b as object) }, c as ((res: any) => void) | undefined];
  }
  return [{ ...(a as object) }, b as ((res: any) => void) | undefined];
}

function clientOptions(options: Record<string, any>, module: 'http' | 'https'): ClientOptions {
  const expected = module === 'https' ? 'https:' : 'http:';
  const protocol = options.protocol ?? options.agent?.protocol ?? expected;
  if (protocol !== expected)
    throw Object.assign(new TypeError(`Protocol "${protocol}" not supported. Expected "${expected}"`), {
      code: 'ERR_INVALID_PROTOCOL',
    });
  if (options.socketPath !== undefined) throw unavailableError(module, 'request({ socketPath })');
  for (const key of ['cert', 'key', 'pfx'])
    if (options[key] !== undefined)
      throw Object.assign(
        new Error(`mcp-warden: client certificates (${key}) are not available under --profile isolate`),
        { code: 'ERR_WARDEN_UNAVAILABLE' },
      );
  const defaultPort = Number(
    options.defaultPort ?? options.agent?.defaultPort ?? (module === 'https' ? 443 : 80),
  );
  const rawHost = String(options.hostname ?? options.host ?? 'localhost');
  const hostname = rawHost.startsWith('[') && rawHost.endsWith(']') ? rawHost.slice(1, -1) : rawHost;
  const path = String(options.path ?? '/');
  if (/[^\u0021-\u00ff]/.test(path))
    throw Object.assign(new TypeError('Request path contains unescaped characters'), {
      code: 'ERR_UNESCAPED_CHARACTERS',
    });
  const method = String(options.method ?? 'GET').toUpperCase();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method))
    throw Object.assign(new TypeError(`Method must be a valid HTTP token ["${method}"]`), {
      code: 'ERR_INVALID_HTTP_TOKEN',
    });
  const headers: Array<[string, string | string[]]> = [];
  if (Array.isArray(options.headers)) {
    for (let i = 0; i + 1 < options.headers.length; i += 2)
      headers.push([String(options.headers[i]), String(options.headers[i + 1])]);
  } else if (options.headers) {
    for (const [name, value] of Object.entries(options.headers as Record<string, unknown>))
      if (value !== undefined) headers.push([name, Array.isArray(value) ? value.map(String) : String(value)]);
  }
  const agentOptions = (options.agent?.options ?? {}) as Record<string, unknown>;
  const rejectUnauthorized = options.rejectUnauthorized ?? agentOptions.rejectUnauthorized;
  const ca = caList(options.ca ?? agentOptions.ca);
  return {
    protocol,
    hostname,
    port: Number(options.port) || defaultPort,
    defaultPort,
    path,
    method,
    headers,
    setHost: options.setHost !== false,
    auth: options.auth === undefined || options.auth === null ? undefined : String(options.auth),
    timeout: options.timeout === undefined ? undefined : Number(options.timeout),
    signal: options.signal,
    tls:
      module === 'https'
        ? {
            ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized: rejectUnauthorized !== false }),
            ...(ca === undefined ? {} : { ca }),
          }
        : undefined,
  };
}

/** request() and get() of node:http or node:https. */
export function requestFor(module: 'http' | 'https') {
  const request = (a: unknown, b?: unknown, c?: unknown): ClientRequest => {
    if (!netInfo().enabled) throw unavailableError(module, 'request');
    const [options, callback] = splitArguments(a, b, c);
    return new ClientRequest(clientOptions(options, module), callback);
  };
  const get = (a: unknown, b?: unknown, c?: unknown): ClientRequest => {
    if (!netInfo().enabled) throw unavailableError(module, 'get');
    const req = request(a, b, c);
    req.end();
    return req;
  };
  return { request, get };
}
