/**
 * SOCKS5 (RFC 1928) as far as the proxy speaks it: CONNECT only; no authentication, or RFC 1929
 * username/password when the proxy has a credential (see proxy-auth.ts).
 */

export type SocksGreeting =
  | { status: 'more' }
  | { status: 'bad'; reason: string }
  | { status: 'ok'; length: number; noAuth: boolean; userPass: boolean };

/** Pure: the client's greeting (version 5, its methods). */
export function parseSocksGreeting(data: Uint8Array): SocksGreeting {
  if (data.length < 2) return { status: 'more' };
  if (data[0] !== 5) return { status: 'bad', reason: 'not SOCKS5' };
  const count = data[1]!;
  if (data.length < 2 + count) return { status: 'more' };
  const methods = data.subarray(2, 2 + count);
  return { status: 'ok', length: 2 + count, noAuth: methods.includes(0), userPass: methods.includes(2) };
}

export type SocksRequest =
  | { status: 'more' }
  | { status: 'bad'; reason: string; reply: number }
  | { status: 'ok'; length: number; host: string; port: number; hostIsName: boolean };

/** Pure: the CONNECT request after the greeting. A name (ATYP 3) is resolved by the proxy, never inside. */
export function parseSocksRequest(data: Uint8Array): SocksRequest {
  if (data.length < 5) return { status: 'more' };
  if (data[0] !== 5) return { status: 'bad', reason: 'not SOCKS5', reply: 1 };
  if (data[1] !== 1)
    return { status: 'bad', reason: 'only CONNECT is supported (no BIND, no UDP)', reply: 7 };
  const type = data[3];
  let at = 4;
  let host: string;
  if (type === 1) {
    if (data.length < at + 6) return { status: 'more' };
    host = Array.from(data.subarray(at, at + 4)).join('.');
    at += 4;
  } else if (type === 3) {
    const length = data[at]!;
    if (data.length < at + 1 + length + 2) return { status: 'more' };
    host = Buffer.from(data.subarray(at + 1, at + 1 + length)).toString('latin1');
    at += 1 + length;
  } else if (type === 4) {
    if (data.length < at + 18) return { status: 'more' };
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((data[at + i]! << 8) | data[at + i + 1]!).toString(16));
    host = `[${groups.join(':')}]`;
    at += 16;
  } else {
    return { status: 'bad', reason: 'unknown address type', reply: 8 };
  }
  const port = (data[at]! << 8) | data[at + 1]!;
  return { status: 'ok', length: at + 2, host, port, hostIsName: type === 3 };
}

/** A SOCKS5 reply with `code` (0 success, 2 not allowed by ruleset, 4 host unreachable, 5 refused). */
export function socksReply(code: number): Buffer {
  return Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
}
