import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type RequestHead, headerValues } from './http-head.ts';

/**
 * The proxy credential of a session whose proxy listens on the host's loopback (seatbelt): any local
 * process can connect to 127.0.0.1, so the proxy serves only clients that present it. The sandbox
 * gets it in its proxy URL (`http://warden:CREDENTIAL@127.0.0.1:PORT`); HTTP clients send it as
 * `Proxy-Authorization: Basic`, SOCKS5 clients as RFC 1929 username/password.
 */
export const PROXY_USER = 'warden';

/** A fresh credential: 32 hex digits (no character a URL's user info would need to escape). */
export function newProxyCredential(): string {
  return randomBytes(16).toString('hex');
}

/** Constant-time: `given` equals `expected` (both UTF-8). */
function sameSecret(given: Buffer, expected: string): boolean {
  const want = Buffer.from(expected, 'utf8');
  return given.length === want.length && timingSafeEqual(given, want);
}

/**
 * Pure: the request head carries exactly one `Proxy-Authorization: Basic` header whose user and
 * password are PROXY_USER and `credential`.
 */
export function hasProxyCredential(head: RequestHead, credential: string): boolean {
  const values = headerValues(head, 'proxy-authorization');
  if (values.length !== 1) return false;
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(values[0]!);
  if (!match) return false;
  return sameSecret(Buffer.from(match[1]!, 'base64'), `${PROXY_USER}:${credential}`);
}

export type SocksUserPass =
  { status: 'more' } | { status: 'bad'; reason: string } | { status: 'ok'; length: number; valid: boolean };

/**
 * Pure: the RFC 1929 username/password request that follows a SOCKS5 greeting choosing method 2:
 * `[1, ulen, user..., plen, password...]`; `valid` when they are PROXY_USER and `credential`.
 */
export function parseSocksUserPass(data: Uint8Array, credential: string): SocksUserPass {
  if (data.length < 2) return { status: 'more' };
  if (data[0] !== 1) return { status: 'bad', reason: 'not an RFC 1929 username/password request' };
  const userLength = data[1]!;
  if (data.length < 3 + userLength) return { status: 'more' };
  const passwordLength = data[2 + userLength]!;
  const length = 3 + userLength + passwordLength;
  if (data.length < length) return { status: 'more' };
  const user = Buffer.from(data.subarray(2, 2 + userLength));
  const password = Buffer.from(data.subarray(3 + userLength, length));
  // Both compared, always: the time taken does not tell which one was wrong.
  const userOk = sameSecret(user, PROXY_USER);
  const passwordOk = sameSecret(password, credential);
  return { status: 'ok', length, valid: userOk && passwordOk };
}
