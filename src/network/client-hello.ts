/**
 * What the first bytes of a TLS stream say about the server name. `more`: not enough bytes yet;
 * `not-tls`: the stream does not start with a TLS handshake record carrying a ClientHello.
 */
export type ClientHelloSni =
  | { status: 'more' }
  | { status: 'not-tls'; reason: string }
  | { status: 'no-sni' }
  | { status: 'sni'; name: string };

/** A ClientHello larger than this (post-quantum key shares make them ~1.8 KB) is refused. */
export const MAX_CLIENT_HELLO = 16_384 + 5;

/**
 * Pure: read the SNI host name from the ClientHello at the start of `data`, without decrypting or
 * altering anything (no interception). Handles a ClientHello split over several TLS records.
 */
export function readClientHelloSni(data: Uint8Array): ClientHelloSni {
  const hello = handshakeBytes(data);
  if ('status' in hello) return hello;
  const { body } = hello;
  if (body.length < 4) return { status: 'more' };
  if (body[0] !== 1) return { status: 'not-tls', reason: 'the first handshake message is not a ClientHello' };
  const length = (body[1]! << 16) | (body[2]! << 8) | body[3]!;
  if (length > MAX_CLIENT_HELLO) return { status: 'not-tls', reason: 'ClientHello too large' };
  if (body.length < 4 + length) return { status: 'more' };
  return parseHello(body.subarray(4, 4 + length));
}

/** The concatenated handshake-record payloads present so far. */
function handshakeBytes(data: Uint8Array): { body: Uint8Array } | ClientHelloSni {
  const parts: Uint8Array[] = [];
  let offset = 0;
  let total = 0;
  while (offset < data.length) {
    if (data.length - offset < 5) break;
    if (data[offset] !== 0x16)
      return offset === 0
        ? { status: 'not-tls', reason: 'not a TLS handshake' }
        : { status: 'not-tls', reason: 'unexpected record before the ClientHello ended' };
    if (data[offset + 1] !== 3) return { status: 'not-tls', reason: 'not a TLS record version' };
    const length = (data[offset + 3]! << 8) | data[offset + 4]!;
    if (length === 0 || length > 16_384) return { status: 'not-tls', reason: 'bad TLS record length' };
    const end = offset + 5 + length;
    parts.push(data.subarray(offset + 5, Math.min(end, data.length)));
    total += Math.min(end, data.length) - offset - 5;
    if (end > data.length) break;
    offset = end;
    if (total > MAX_CLIENT_HELLO) return { status: 'not-tls', reason: 'ClientHello too large' };
  }
  if (data.length > 0 && data[0] !== 0x16) return { status: 'not-tls', reason: 'not a TLS handshake' };
  return { body: Buffer.concat(parts) };
}

function parseHello(hello: Uint8Array): ClientHelloSni {
  const bad: ClientHelloSni = { status: 'not-tls', reason: 'malformed ClientHello' };
  let at = 2 + 32; // version, random
  if (at >= hello.length) return bad;
  at += 1 + hello[at]!; // session id
  if (at + 2 > hello.length) return bad;
  at += 2 + ((hello[at]! << 8) | hello[at + 1]!); // cipher suites
  if (at >= hello.length) return bad;
  at += 1 + hello[at]!; // compression methods
  if (at === hello.length) return { status: 'no-sni' };
  if (at + 2 > hello.length) return bad;
  const end = at + 2 + ((hello[at]! << 8) | hello[at + 1]!);
  if (end > hello.length) return bad;
  at += 2;
  let name: string | undefined;
  while (at + 4 <= end) {
    const type = (hello[at]! << 8) | hello[at + 1]!;
    const size = (hello[at + 2]! << 8) | hello[at + 3]!;
    at += 4;
    if (at + size > end) return bad;
    if (type === 0) {
      // Two server_name extensions, or two host names in one, could be read differently by us and the
      // server: refused.
      if (name !== undefined) return { status: 'not-tls', reason: 'more than one server_name extension' };
      const found = parseServerName(hello.subarray(at, at + size));
      if (found === undefined) return bad;
      name = found;
    }
    at += size;
  }
  if (at !== end) return bad;
  return name === undefined ? { status: 'no-sni' } : { status: 'sni', name };
}

function parseServerName(ext: Uint8Array): string | undefined {
  if (ext.length < 5) return undefined;
  const listLength = (ext[0]! << 8) | ext[1]!;
  if (listLength + 2 !== ext.length || ext[2] !== 0) return undefined;
  const nameLength = (ext[3]! << 8) | ext[4]!;
  if (5 + nameLength !== ext.length || nameLength === 0) return undefined;
  const bytes = ext.subarray(5, 5 + nameLength);
  if (bytes.some((b) => b < 0x21 || b > 0x7e)) return undefined;
  return Buffer.from(bytes).toString('latin1');
}
