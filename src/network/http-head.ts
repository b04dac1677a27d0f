/** The request line and headers of one HTTP/1.x request, as sent to a proxy. */
export interface RequestHead {
  method: string;
  target: string;
  version: string;
  headers: Array<[name: string, value: string]>;
  /** Bytes of the head including the blank line; what follows belongs to the body. */
  length: number;
}

export type HeadResult =
  { status: 'more' } | { status: 'bad'; reason: string } | { status: 'ok'; head: RequestHead };

/** A request head larger than this is refused (431). */
export const MAX_HEAD_BYTES = 64 * 1024;

/**
 * Pure: parse the request head at the start of `data`. Strict on purpose: obsolete line folding,
 * bare CR, control characters and whitespace before a colon are refused, so the proxy and the origin
 * cannot disagree about where a header ends or which Host it names (request smuggling).
 */
export function parseRequestHead(data: Buffer): HeadResult {
  // A request line starts with a method (upper-case letters): anything else (a TLS ClientHello in a
  // tunnel) is refused at its first byte, not after waiting for a blank line that never comes.
  const first = data[0];
  if (first !== undefined && (first < 0x41 || first > 0x5a))
    return { status: 'bad', reason: 'malformed request line' };
  const end = data.indexOf('\r\n\r\n');
  if (end < 0)
    return data.length > MAX_HEAD_BYTES
      ? { status: 'bad', reason: 'request head too large' }
      : { status: 'more' };
  if (end > MAX_HEAD_BYTES) return { status: 'bad', reason: 'request head too large' };
  const text = data.subarray(0, end).toString('latin1');
  const lines = text.split('\r\n');
  const line = /^([A-Z]{1,20}) (\S+) (HTTP\/1\.[01])$/.exec(lines[0] ?? '');
  if (!line) return { status: 'bad', reason: 'malformed request line' };
  const headers: Array<[string, string]> = [];
  for (const raw of lines.slice(1)) {
    const header = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n\0]*?)[ \t]*$/.exec(raw);
    // eslint-disable-next-line no-control-regex -- control characters in a header are exactly what is refused
    if (!header || /[\x00-\x08\x0a-\x1f\x7f]/.test(raw))
      return { status: 'bad', reason: 'malformed header line' };
    headers.push([header[1]!.toLowerCase(), header[2]!]);
  }
  const head: RequestHead = {
    method: line[1]!,
    target: line[2]!,
    version: line[3]!,
    headers,
    length: end + 4,
  };
  const framing = bodyFraming(head);
  if (framing.kind === 'bad') return { status: 'bad', reason: framing.reason };
  return { status: 'ok', head };
}

/** How the body of a request ends: no body, a byte count, or chunked coding. */
export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

/**
 * Pure: the body framing of `head`, or why it is ambiguous. Refused, because a proxy and an origin
 * could read such a request's end differently and the origin would take the rest for a second request
 * the proxy never checked (request smuggling): Content-Length together with Transfer-Encoding, more
 * than one Content-Length (even equal ones, or a comma list), a Content-Length that is not digits,
 * more than one Transfer-Encoding, any coding but a single `chunked`, Transfer-Encoding in HTTP/1.0.
 */
export function bodyFraming(head: RequestHead): BodyFraming | { kind: 'bad'; reason: string } {
  const lengths = headerValues(head, 'content-length');
  const codings = headerValues(head, 'transfer-encoding');
  const bad = (reason: string) => ({ kind: 'bad' as const, reason: `${reason} (request smuggling)` });
  if (lengths.length > 0 && codings.length > 0) return bad('Content-Length together with Transfer-Encoding');
  if (lengths.length > 1) return bad('more than one Content-Length');
  if (codings.length > 1) return bad('more than one Transfer-Encoding');
  if (codings.length === 1) {
    if (head.version === 'HTTP/1.0') return bad('Transfer-Encoding in an HTTP/1.0 request');
    if (codings[0]!.toLowerCase() !== 'chunked')
      return bad(`Transfer-Encoding "${codings[0]!.slice(0, 40)}" (only "chunked")`);
    return { kind: 'chunked' };
  }
  if (lengths.length === 1) {
    if (!/^\d{1,15}$/.test(lengths[0]!))
      return bad(`Content-Length "${lengths[0]!.slice(0, 40)}" is not a number`);
    const length = Number(lengths[0]);
    return length === 0 ? { kind: 'none' } : { kind: 'length', length };
  }
  return { kind: 'none' };
}

/** The values of header `name` (lower case). */
export function headerValues(head: RequestHead, name: string): string[] {
  return head.headers.filter(([n]) => n === name).map(([, v]) => v);
}

/** Split `host[:port]` / `[v6][:port]`; undefined when malformed. */
export function splitHostPort(text: string, defaultPort: number): { host: string; port: number } | undefined {
  const bracket = /^(\[[^\]]+\])(?::(\d{1,5}))?$/.exec(text);
  const plain = /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  const match = bracket ?? plain;
  if (!match?.[1]) return undefined;
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1], port };
}
