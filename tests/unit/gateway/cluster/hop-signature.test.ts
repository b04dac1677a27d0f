import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signHop, verifyHop } from '../../../../src/gateway/cluster/hop-signature.ts';

const key = randomBytes(32);
const request = { method: 'POST', path: '/servers/s/mcp', sessionId: 'SID', principal: 'key:ci' };
const now = 1_750_000_000_000;

describe('forwarded request signatures', () => {
  it('verify for the request they were made for, and carry the principal', () => {
    const header = signHop(key, request, now);
    expect(verifyHop(key, header, request, now + 1000, 30_000)).toEqual({ ok: true, principal: 'key:ci' });
  });

  it.each([
    ['method', { ...request, method: 'DELETE' }],
    ['path', { ...request, path: '/servers/other/mcp' }],
    ['session', { ...request, sessionId: 'OTHER' }],
  ])('refuse another %s', (_, other) => {
    const header = signHop(key, request, now);
    expect(verifyHop(key, header, other, now, 30_000)).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('refuse a changed principal or time, another key, and stale or future signatures', () => {
    const header = signHop(key, request, now);
    const [v, time, , sig] = header.split('.');
    const principal = Buffer.from('key:admin').toString('base64url');
    expect(verifyHop(key, [v, time, principal, sig].join('.'), request, now, 30_000).ok).toBe(false);
    expect(
      verifyHop(key, [v, String(now + 1), header.split('.')[2], sig].join('.'), request, now, 30_000).ok,
    ).toBe(false);
    expect(verifyHop(randomBytes(32), header, request, now, 30_000).ok).toBe(false);
    expect(verifyHop(key, header, request, now + 30_001, 30_000)).toMatchObject({ reason: /too old/ });
    expect(verifyHop(key, header, request, now - 30_001, 30_000)).toMatchObject({ reason: /too new/ });
    for (const bad of ['', 'v1', 'v2.1.a.b', `${header}x`, header.replace('v1.', 'v1.-')]) {
      expect(verifyHop(key, bad, request, now, 30_000).ok, bad).toBe(false);
    }
  });
});
