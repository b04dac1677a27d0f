import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a replica puts on a request it forwards to the session's owner. */
export const HOP_HEADER = 'x-mcp-warden-forwarded';

/** What a forwarded request's signature covers. */
export interface HopRequest {
  method: string;
  /** The request target as sent (path and query). */
  path: string;
  sessionId: string;
  /** The principal the forwarding replica authenticated (the owner uses it only without auth). */
  principal: string;
}

/** Sign a forwarded request at `now` (ms): `v1.TIME.PRINCIPAL.SIGNATURE`, base64url fields. */
export function signHop(key: Buffer, request: HopRequest, now: number): string {
  const time = String(Math.floor(now));
  const principal = Buffer.from(request.principal, 'utf8').toString('base64url');
  return `v1.${time}.${principal}.${mac(key, request, time).toString('base64url')}`;
}

/** The verdict on a forwarded request's header. */
export type HopVerdict = { ok: true; principal: string } | { ok: false; reason: string };

/**
 * Check a forwarded request's signature against what it claims to be: method, target, session id and
 * principal, signed with the shared key less than `maxSkewMs` away from `now` (either way).
 */
export function verifyHop(
  key: Buffer,
  header: string,
  request: Omit<HopRequest, 'principal'>,
  now: number,
  maxSkewMs: number,
): HopVerdict {
  const match = /^v1\.(\d{1,15})\.([A-Za-z0-9_-]{0,2048})\.([A-Za-z0-9_-]{43})$/.exec(header);
  if (!match) return { ok: false, reason: 'malformed signature' };
  const [, time, encoded, signature] = match as unknown as [string, string, string, string];
  if (Math.abs(now - Number(time)) > maxSkewMs) return { ok: false, reason: 'signature too old or too new' };
  const principal = Buffer.from(encoded, 'base64url').toString('utf8');
  const expected = mac(key, { ...request, principal }, time);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad signature' };
  return { ok: true, principal };
}

function mac(key: Buffer, request: HopRequest, time: string): Buffer {
  const fields = [request.method, request.path, request.sessionId, time, request.principal];
  return createHmac('sha256', key)
    .update(`mcp-warden forward v1\0${fields.join('\0')}`)
    .digest();
}
