import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { GatewayConfigSchema } from '../../../src/config/gateway-schema.ts';
import { Authenticator } from '../../../src/gateway/authenticator.ts';
import { parseRevocations } from '../../../src/gateway/revocation-entries.ts';
import { RevocationList } from '../../../src/gateway/revocation-list.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

const SECRET = 's'.repeat(40);
const ISSUER = 'https://issuer.test';

function authenticator(
  jwt: Record<string, unknown> = {},
  revocationFile?: string,
): { auth: Authenticator; problems: string[] } {
  const config = GatewayConfigSchema.parse({
    auth: {
      apiKeys: [{ id: 'victim', sha256: 'a'.repeat(64) }],
      jwt: { issuer: ISSUER, audience: 'aud', sharedSecret: SECRET, algorithms: ['HS256'], ...jwt },
      ...(revocationFile === undefined ? {} : { revocationFile }),
    },
    servers: { s: { command: ['x'] } },
  });
  const problems: string[] = [];
  const auth = new Authenticator(config.auth!, (p) => problems.push(`${p.severity} ${p.line}: ${p.message}`));
  return { auth, problems };
}

async function bearer(claims: Record<string, unknown>): Promise<string> {
  const jwt = new SignJWT({ scope: 'mcp', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience('aud')
    .setExpirationTime('1m');
  return `Bearer ${await jwt.sign(new TextEncoder().encode(SECRET))}`;
}

describe('namespaced principals', () => {
  it('names a token by issuer and sub: jwt:ISSUER:SUB', async () => {
    const { auth } = authenticator();
    expect(await auth.authenticate(await bearer({ sub: 'victim', jti: 't1' }))).toMatchObject({
      ok: true,
      principal: { kind: 'jwt', id: `jwt:${ISSUER}:victim` },
    });
  });

  it('refuses a token without sub, even with a jti naming someone else (no fallback)', async () => {
    const { auth } = authenticator();
    for (const claims of [{ jti: 'victim' }, {}, { sub: '' }, { sub: 42 }, { sub: 'a\nb' }]) {
      const result = await auth.authenticate(await bearer(claims));
      expect(result).toMatchObject({ ok: false, status: 401, error: 'invalid_token', reason: 'subject' });
    }
    expect(await auth.authenticate(await bearer({ jti: 'victim' }))).toMatchObject({
      description: 'the token has no sub claim, which names its principal (auth.jwt.principalClaim)',
    });
  });

  it('with auth.jwt.principalClaim, names the token by that claim and by nothing else', async () => {
    const { auth } = authenticator({ principalClaim: 'client_id' });
    expect(await auth.authenticate(await bearer({ client_id: 'svc', sub: 'other' }))).toMatchObject({
      ok: true,
      principal: { id: `jwt:${ISSUER}:svc` },
    });
    expect(await auth.authenticate(await bearer({ sub: 'victim' }))).toMatchObject({
      ok: false,
      reason: 'subject',
      description: expect.stringContaining('no client_id claim'),
    });
  });
});

describe('revocation lines name their namespace', () => {
  it('refuses a bare id at start-up, naming the file, the line and the fix', () => {
    const file = path.join(tmpRoot('revoke'), 'revoked.txt');
    writeFileSync(file, '# revoked\nkey:victim\nvictim\n');
    expect(() => authenticator({}, file)).toThrow(
      `auth.revocationFile: ${file}:3: "victim" does not say what it revokes: write key:ID (an API key), jwt:ISSUER:SUBJECT (a token subject) or jti:ID (one token)`,
    );
    writeFileSync(file, 'jwt:no-subject\n');
    expect(() => authenticator({}, file)).toThrow(`${file}:1: "jwt:no-subject" is incomplete`);
  });

  it('revokes each namespace only: key:victim leaves the subject victim alone, and back', async () => {
    const file = path.join(tmpRoot('revoke'), 'revoked.txt');
    writeFileSync(file, 'key:victim\n');
    const { auth } = authenticator({}, file);
    const victimToken = await bearer({ sub: 'victim', jti: 'victim' });
    expect(await auth.authenticate(victimToken)).toMatchObject({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 5));
    writeFileSync(file, `jwt:${ISSUER}:victim\n`);
    await new Promise((resolve) => setTimeout(resolve, 110));
    expect(await auth.authenticate(victimToken)).toMatchObject({ ok: false, reason: 'revoked' });
    expect(await auth.authenticate(await bearer({ sub: 'other' }))).toMatchObject({ ok: true });
    writeFileSync(file, 'jti:t-9\n');
    await new Promise((resolve) => setTimeout(resolve, 110));
    expect(await auth.authenticate(await bearer({ sub: 'other', jti: 't-9' }))).toMatchObject({
      ok: false,
      reason: 'revoked',
    });
    expect(await auth.authenticate(await bearer({ sub: 'other', jti: 't-10' }))).toMatchObject({ ok: true });
  });

  it('after start-up, ignores and reports a bare line while the others apply', async () => {
    const file = path.join(tmpRoot('revoke'), 'revoked.txt');
    const problems: string[] = [];
    const list = new RevocationList(file, 0, { onProblem: (p) => problems.push(`${p.file}:${p.line}`) });
    writeFileSync(file, 'victim\njti:x\n');
    expect(list.has('jti:x')).toBe(true);
    expect(list.has('victim', 'key:victim', `jwt:${ISSUER}:victim`)).toBe(false);
    expect(problems).toEqual([`${file}:1`]);
  });

  it('warns about lines that can never match (unknown key id, another issuer)', () => {
    const { problems } = parseRevocations('key:ghost\njwt:https://other:u\njwt:https://issuer.test:u\n', {
      keyIds: ['ci'],
      issuer: ISSUER,
    });
    expect(problems.map((p) => `${p.severity} ${p.line}`)).toEqual(['warning 1', 'warning 2']);
  });
});
