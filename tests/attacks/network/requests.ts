// Bytes a hostile server sends to the egress proxy (through the relay's address in HTTP_PROXY), as
// probe requests for the hostile fixture's `netExchange` op.
const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');

/** A netExchange probe: connect to the proxy and send `parts` one after the other. */
export function toProxy(
  parts: ReadonlyArray<string | Buffer>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { op: 'netExchange', proxy: true, send: parts.map(b64), ...extra };
}

/** `CONNECT authority`, then (after the answer) `inner` inside the tunnel. */
export function connectThen(authority: string, inner: string | Buffer): Record<string, unknown> {
  return toProxy([`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`, inner], { pauseMs: 300 });
}

/** A GET in origin form with the given Host. */
export const get = (path: string, host: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;

/** A plain-HTTP proxy request in absolute form. */
export const absolute = (url: string, host: string, extra = ''): string =>
  `GET ${url} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;

/** SOCKS5: greeting (no auth), then CONNECT to a name (ATYP 3) or raw address bytes. */
export function socks(
  target: { name: string } | { ipv4: number[] },
  port: number,
  after = 'hello\n',
): Record<string, unknown> {
  const address =
    'name' in target
      ? Buffer.concat([Buffer.from([3, Buffer.byteLength(target.name)]), Buffer.from(target.name)])
      : Buffer.from([1, ...target.ipv4]);
  const request = Buffer.concat([Buffer.from([5, 1, 0]), address, Buffer.from([port >> 8, port & 0xff])]);
  return toProxy([Buffer.from([5, 1, 0]), request, after], { pauseMs: 300, proxy: 'socks' });
}

/** A request smuggling body: a complete chunked message followed by a second request for `host`. */
export const smuggled = (host: string): string => `0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
