import { createHash, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, importPKCS8 } from 'jose';
import { describe, expect, it } from 'vitest';
import { GatewayConfigSchema } from '../../../src/config/gateway-schema.ts';
import { Authenticator } from '../../../src/gateway/authenticator.ts';
import { checkOrigin } from '../../../src/gateway/origin-check.ts';
import { RateLimiter } from '../../../src/gateway/rate-limiter.ts';
import { RevocationList } from '../../../src/gateway/revocation-list.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

function auth(raw: unknown): Authenticator {
  const config = GatewayConfigSchema.parse({ auth: raw, servers: { s: { command: ['x'] } } });
  return new Authenticator(config.auth!);
}

describe('RateLimiter', () => {
  it('allows a burst of perMinute, then 429 with the wait until the next token', () => {
    let now = 0;
    const limiter = new RateLimiter(60, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.take('a')).toEqual({ ok: true });
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSec: 1 });
    expect(limiter.take('b')).toEqual({ ok: true });
    now += 1000;
    expect(limiter.take('a')).toEqual({ ok: true });
    expect(limiter.take('a').ok).toBe(false);
  });
});

describe('checkOrigin', () => {
  const loopback = { loopbackOnly: true, allowedHosts: [], allowedOrigins: [] };
  it.each([
    ['127.0.0.1:8080', undefined, undefined],
    ['localhost:1', 'http://localhost:3000', undefined],
    ['[::1]:80', 'http://[::1]:80', undefined],
    ['evil.example:8080', undefined, 'host evil.example:8080 is not a loopback host'],
    ['127.0.0.1:8080', 'http://evil.example', 'origin http://evil.example is not allowed'],
    ['127.0.0.1.evil.example', undefined, 'host 127.0.0.1.evil.example is not a loopback host'],
    [undefined, undefined, 'host (none) is not a loopback host'],
  ])('loopback gateway: Host %s Origin %s → %s', (host, origin, expected) => {
    expect(checkOrigin(host, origin, loopback)).toBe(expected);
  });
  it('a public gateway takes configured hosts and origins only', () => {
    const policy = {
      loopbackOnly: false,
      allowedHosts: ['mcp.example.com'],
      allowedOrigins: ['https://app.example.com'],
    };
    expect(checkOrigin('mcp.example.com', 'https://app.example.com', policy)).toBeUndefined();
    expect(checkOrigin('mcp.example.com', 'http://localhost', policy)).toBe(
      'origin http://localhost is not allowed',
    );
    expect(checkOrigin('other.example.com', undefined, policy)).toBe('host other.example.com is not allowed');
  });
});

describe('RevocationList', () => {
  it('re-reads the file when it changes; a missing file revokes nothing', async () => {
    const file = path.join(tmpRoot('revoke'), 'revoked.txt');
    const list = new RevocationList(file, 0);
    expect(list.has('key:a')).toBe(false);
    writeFileSync(file, 'key:a # a comment\n\n# jti:b\n');
    expect(list.has('key:a')).toBe(true);
    expect(list.has('jti:b', undefined)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 5));
    writeFileSync(file, 'jti:b\n');
    expect(list.has('key:a')).toBe(false);
    expect(list.has(undefined, 'jti:b')).toBe(true);
  });
});

describe('Authenticator', () => {
  const claims = { scope: 'mcp' };
  const base = { issuer: 'https://i', audience: 'aud' };

  it('verifies RS256 against a PEM key, and refuses a token for another audience', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const key = await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256');
    const a = auth({ jwt: { ...base, publicKeyPem: pem, algorithms: ['RS256'] } });
    const sign = (aud: string): Promise<string> =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer('https://i')
        .setAudience(aud)
        .setSubject('u')
        .setExpirationTime('1m')
        .sign(key);
    expect(await a.authenticate(`Bearer ${await sign('aud')}`)).toMatchObject({
      ok: true,
      principal: { kind: 'jwt', id: 'jwt:https://i:u' },
    });
    expect(await a.authenticate(`Bearer ${await sign('other')}`)).toMatchObject({
      ok: false,
      reason: 'claims',
    });
  });

  it('accepts HS256 only with a configured shared secret', async () => {
    const secret = 's'.repeat(40);
    const a = auth({ jwt: { ...base, sharedSecret: secret, algorithms: ['HS256'] } });
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://i')
      .setAudience('aud')
      .setSubject('u')
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(secret));
    expect(await a.authenticate(`Bearer ${token}`)).toMatchObject({ ok: true });
    const wrongSecret = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://i')
      .setAudience('aud')
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('x'.repeat(40)));
    expect(await a.authenticate(`Bearer ${wrongSecret}`)).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('requires exp, and a bearer scheme', async () => {
    const secret = 's'.repeat(40);
    const a = auth({ jwt: { ...base, sharedSecret: secret, algorithms: ['HS256'] } });
    const noExp = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://i')
      .setAudience('aud')
      .sign(new TextEncoder().encode(secret));
    expect(await a.authenticate(`Bearer ${noExp}`)).toMatchObject({ ok: false, status: 401 });
    expect(await a.authenticate('Basic dXNlcjpwYXNz')).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('matches API keys by sha256', async () => {
    const a = auth({
      apiKeys: [{ id: 'ci', sha256: createHash('sha256').update('secret-key').digest('hex') }],
    });
    expect(await a.authenticate('Bearer secret-key')).toMatchObject({
      ok: true,
      principal: { id: 'key:ci' },
    });
    expect(await a.authenticate('Bearer secret-key2')).toMatchObject({ ok: false, status: 401 });
  });
});
