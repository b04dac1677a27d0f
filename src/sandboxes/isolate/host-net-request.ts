// What the isolate's guest may ask the host to send, checked before anything is sent: the request's
// target, path, method and headers (nothing that could smuggle text into a request line or a header),
// and the headers the origin then gets.
import { isIP } from 'node:net';

/** Hop-by-hop and framing headers the host sets itself; a guest's values are dropped. */
const HOST_OWNED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'upgrade',
  'te',
  'trailer',
  'transfer-encoding',
  'content-length',
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})$/;

/** One request as the guest asks for it (net.request's second argument), after validation. */
export interface RequestSpec {
  protocol: 'http:' | 'https:';
  /** Host name or IP address, without brackets. */
  hostname: string;
  port: number;
  /** Origin-form path and query, sent as given (no normalisation). */
  path: string;
  method: string;
  headers: Array<[string, string]>;
  body: Uint8Array | null;
  /** Decode gzip/deflate/br bodies (fetch does, http.request does not). */
  decompress: boolean;
  /** https only: Node's rejectUnauthorized and ca options (ca undefined: the defaults). */
  tls: { rejectUnauthorized: boolean; ca: string[] | undefined };
}

const fail = (message: string): never => {
  throw Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' });
};

/**
 * Validate what the guest sent: a scheme of http or https, a host name or IP (nothing that could
 * smuggle text into a request line), a port, a path without spaces or controls, a method token and
 * header names and values Node accepts. Throws a TypeError naming what is wrong.
 */
export function parseRequestSpec(value: unknown): RequestSpec {
  const v = (value ?? {}) as Record<string, unknown>;
  if (v.protocol !== 'http:' && v.protocol !== 'https:')
    fail(`only http: and https: URLs can be fetched, not ${String(v.protocol)}`);
  const raw = String(v.hostname ?? '');
  const hostname = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (!(isIP(hostname) || HOST_NAME.test(hostname))) fail(`not a valid host name: ${JSON.stringify(raw)}`);
  const port = Number(v.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`not a valid port: ${String(v.port)}`);
  const path = String(v.path ?? '/');
  if (!/^\/[\u0021-\u00ff]*$|^\*$/.test(path))
    fail(`request path ${JSON.stringify(path.slice(0, 100))} contains unescaped characters`);
  const method = String(v.method ?? 'GET');
  if (!TOKEN.test(method)) fail(`not a valid HTTP method: ${JSON.stringify(method.slice(0, 40))}`);
  if (/^connect$/i.test(method))
    fail('CONNECT tunnels are not available under --profile isolate (use http/https requests)');
  if (!Array.isArray(v.headers)) fail('headers must be a list of [name, value] pairs');
  const headers: Array<[string, string]> = [];
  for (const pair of v.headers as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) fail('headers must be a list of [name, value] pairs');
    const [name, text] = [String((pair as unknown[])[0]), String((pair as unknown[])[1])];
    if (!TOKEN.test(name))
      throw Object.assign(new TypeError(`Header name must be a valid HTTP token ["${name.slice(0, 100)}"]`), {
        code: 'ERR_INVALID_HTTP_TOKEN',
      });
    if (/[^\t\x20-\x7e\x80-\xff]/.test(text))
      throw Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), {
        code: 'ERR_INVALID_CHAR',
      });
    headers.push([name, text]);
  }
  const body = v.body === null || v.body === undefined ? null : v.body;
  if (body !== null && !(body instanceof Uint8Array)) fail('the request body must be bytes');
  const tlsOptions = (v.tls ?? {}) as Record<string, unknown>;
  const ca = tlsOptions.ca;
  if (ca !== undefined && ca !== null && !(Array.isArray(ca) && ca.every((c) => typeof c === 'string')))
    fail('tls ca must be a list of PEM strings');
  return {
    protocol: v.protocol as RequestSpec['protocol'],
    hostname,
    port,
    path,
    method,
    headers,
    body: body as Uint8Array | null,
    decompress: v.decompress === true,
    tls: {
      rejectUnauthorized: tlsOptions.rejectUnauthorized !== false,
      ca: (ca ?? undefined) as string[] | undefined,
    },
  };
}

/** `host:port` with IPv6 addresses in brackets (CONNECT's target, the absolute URI's authority). */
export function authorityOf(hostname: string, port: number): string {
  return `${isIP(hostname) === 6 ? `[${hostname}]` : hostname}:${port}`;
}

/** The Host header for `spec`: the name, with the port unless it is the scheme's default. */
function hostHeader(spec: RequestSpec): string {
  const defaultPort = spec.protocol === 'https:' ? 443 : 80;
  const name = isIP(spec.hostname) === 6 ? `[${spec.hostname}]` : spec.hostname;
  return spec.port === defaultPort ? name : `${name}:${spec.port}`;
}

/** The headers the origin gets: the guest's (host-owned ones dropped), Host, Content-Length, close. */
export function originHeaders(spec: RequestSpec): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  const names = new Map<string, string>();
  for (const [name, value] of spec.headers) {
    const lower = name.toLowerCase();
    if (HOST_OWNED.has(lower)) continue;
    if (lower === 'host' && names.has('host')) continue;
    const key = names.get(lower) ?? name;
    names.set(lower, key);
    const previous = headers[key];
    headers[key] =
      previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  if (!names.has('host')) headers.Host = hostHeader(spec);
  if (spec.body !== null || /^(POST|PUT|PATCH)$/i.test(spec.method))
    headers['Content-Length'] = String(spec.body?.byteLength ?? 0);
  headers.Connection = 'close';
  return headers;
}
