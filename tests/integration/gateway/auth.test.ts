import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE } from '../../helpers/warden.ts';
import {
  conformanceServer,
  connectClient,
  metricValue,
  startGateway,
  type StartedGateway,
} from './gateway-helpers.ts';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'https://gateway.test/mcp';
const API_KEY = `mwk_${randomBytes(24).toString('hex')}`;
const RATE_KEY = `mwk_${randomBytes(24).toString('hex')}`;
/** Requests per minute per credential: a whole session (initialize, initialized, GET, call, DELETE) fits. */
const RATE = 8;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

type Alg = 'RS256' | 'ES256' | 'EdDSA';
const keys = new Map<Alg, CryptoKey>();
let jwks: Server;
let gw: StartedGateway;
let revocationFile: string;

beforeAll(async () => {
  const published: JWK[] = [];
  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    const pair = await generateKeyPair(alg, { extractable: true });
    keys.set(alg, pair.privateKey);
    published.push({ ...(await exportJWK(pair.publicKey)), kid: alg, alg, use: 'sig' });
  }
  // The JWKS endpoint, on loopback.
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  const dir = tmpRoot('auth');
  revocationFile = path.join(dir, 'revoked.txt');
  writeFileSync(revocationFile, '# revoked credentials\n');
  gw = await startGateway({
    auth: {
      apiKeys: [
        { id: 'ci', sha256: sha256(API_KEY) },
        { id: 'rate', sha256: sha256(RATE_KEY) },
      ],
      jwt: {
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl,
        algorithms: ['RS256', 'ES256', 'EdDSA'],
        requiredScopes: ['mcp'],
      },
      revocationFile,
    },
    servers: { conf: conformanceServer(BWRAP_AVAILABLE ? 'bwrap' : 'none') },
    limits: { ratePerMinute: RATE },
  });
});

afterAll(async () => {
  await gw?.stop();
  await new Promise((resolve) => jwks?.close(resolve));
});

interface TokenOptions {
  alg?: Alg;
  /** null: no `sub` claim at all. */
  sub?: string | null;
  jti?: string;
  iss?: string;
  aud?: string;
  scope?: string;
  expiresIn?: string | number;
}

async function token(options: TokenOptions = {}): Promise<string> {
  const alg = options.alg ?? 'RS256';
  const jwt = new SignJWT({ scope: options.scope ?? 'mcp read' })
    .setProtectedHeader({ alg, kid: alg })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setJti(options.jti ?? randomBytes(8).toString('hex'))
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m');
  if (options.sub !== null) jwt.setSubject(options.sub ?? `user-${randomBytes(4).toString('hex')}`);
  return jwt.sign(keys.get(alg)!);
}

async function post(
  authorization?: string,
): Promise<{ status: number; challenge: string | null; body: string }> {
  const res = await fetch(gw.url('conf'), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: INITIALIZE,
  });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.text() };
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('gateway auth', () => {
  it('refuses a request without a token, pointing at the protected-resource metadata', async () => {
    const res = await post();
    expect(res.status).toBe(401);
    expect(res.challenge).toContain(
      `resource_metadata="${gw.base}/.well-known/oauth-protected-resource/servers/conf/mcp"`,
    );
    expect(res.challenge).toContain('error="invalid_request"');
    const meta = (await (
      await fetch(`${gw.base}/.well-known/oauth-protected-resource/servers/conf/mcp`)
    ).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({
      resource: `${gw.base}/servers/conf/mcp`,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      scopes_supported: ['mcp'],
    });
  });

  it.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'accepts a valid %s token and serves a whole session with it',
    async (alg) => {
      const bearer = `Bearer ${await token({ alg })}`;
      expect((await post(bearer)).status).toBe(200);
      const { client, transport } = await connectClient(gw.url('conf'), { authorization: bearer });
      const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
      expect(result.content).toHaveLength(1);
      await transport.terminateSession();
      await client.close();
    },
  );

  it('accepts a configured API key and refuses an unknown one', async () => {
    expect((await post(`Bearer ${API_KEY}`)).status).toBe(200);
    const wrong = await post(`Bearer ${API_KEY}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.challenge).toContain('error="invalid_token"');
  });

  it('refuses expired, wrong-audience, wrong-issuer and scope-less tokens', async () => {
    const expired = await post(`Bearer ${await token({ expiresIn: Math.floor(Date.now() / 1000) - 60 })}`);
    expect(expired.status).toBe(401);
    expect(expired.body).toContain('expired');
    const audience = await post(`Bearer ${await token({ aud: 'https://other.test' })}`);
    expect(audience.status).toBe(401);
    expect(audience.body).toContain('aud');
    expect((await post(`Bearer ${await token({ iss: 'https://evil.test' })}`)).status).toBe(401);
    const scope = await post(`Bearer ${await token({ scope: 'read' })}`);
    expect(scope.status).toBe(403);
    expect(scope.challenge).toContain('error="insufficient_scope"');
    expect(scope.challenge).toContain('scope="mcp"');
  });

  it('refuses alg "none" and HS256 tokens (no shared secret configured)', async () => {
    const claims = {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'x',
      scope: 'mcp',
      exp: Math.floor(Date.now() / 1000) + 300,
    };
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    const noneRes = await post(`Bearer ${none}`);
    expect(noneRes.status).toBe(401);
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'RS256' })
      .sign(new TextEncoder().encode('a'.repeat(32)));
    const hsRes = await post(`Bearer ${hs}`);
    expect(hsRes.status).toBe(401);
    expect(hsRes.body).toContain('algorithm');
    // A token signed by a key the JWKS does not hold.
    const stranger = await generateKeyPair('RS256');
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'RS256' })
      .sign(stranger.privateKey);
    expect((await post(`Bearer ${forged}`)).status).toBe(401);
  });

  it('refuses revoked tokens (jti:, jwt:ISSUER:SUB, key:) as soon as the revocation file changes', async () => {
    const jti = `jti-${randomBytes(4).toString('hex')}`;
    const sub = `sub-${randomBytes(4).toString('hex')}`;
    const byJti = `Bearer ${await token({ jti })}`;
    const bySub = `Bearer ${await token({ sub })}`;
    expect((await post(byJti)).status).toBe(200);
    expect((await post(bySub)).status).toBe(200);
    writeFileSync(revocationFile, `# revoked\njti:${jti}\njwt:${ISSUER}:${sub}\nkey:ci\n`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    for (const bearer of [byJti, bySub, `Bearer ${API_KEY}`]) {
      const res = await post(bearer);
      expect(res.status).toBe(401);
      expect(res.body).toContain('revoked');
    }
    writeFileSync(revocationFile, '');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await post(`Bearer ${API_KEY}`)).status).toBe(200);
  });

  it("does not let one principal use another's session", async () => {
    const owner = `Bearer ${await token()}`;
    const { client, transport } = await connectClient(gw.url('conf'), { authorization: owner });
    const res = await fetch(gw.url('conf'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${await token()}`,
        'mcp-session-id': transport.sessionId ?? '',
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    });
    expect(res.status).toBe(404);
    await client.ping();
    await transport.terminateSession();
    await client.close();
  });

  it('refuses tokens without sub (401 saying so), so a jti=victim token cannot join sub=victim', async () => {
    const victim = `victim-${randomBytes(4).toString('hex')}`;
    const owner = `Bearer ${await token({ sub: victim })}`;
    const { client, transport } = await connectClient(gw.url('conf'), { authorization: owner });
    for (const intruder of [await token({ sub: null, jti: victim }), await token({ sub: null })]) {
      const res = await fetch(gw.url('conf'), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${intruder}`,
          'mcp-session-id': transport.sessionId ?? '',
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain(
        'error_description="the token has no sub claim, which names its principal (auth.jwt.principalClaim)"',
      );
      expect(await res.text()).toContain('no sub claim');
    }
    await client.ping();
    await transport.terminateSession();
    await client.close();
  });

  it('refuses to start (exit 2) on a revocation line that does not say what it revokes', async () => {
    const file = path.join(tmpRoot('auth-revoked'), 'revoked.txt');
    writeFileSync(file, '# revoked\nkey:ci\nvictim\n');
    await expect(
      startGateway({
        auth: { apiKeys: [{ id: 'ci', sha256: sha256(API_KEY) }], revocationFile: file },
        servers: { conf: conformanceServer('none') },
      }),
    ).rejects.toThrow(
      /exited with 2[\s\S]*revoked\.txt:3: "victim" does not say what it revokes: write key:ID \(an API key\), jwt:ISSUER:SUBJECT/,
    );
  });

  it('rate-limits per token with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < RATE + 2; i++) {
      const res = await fetch(`${gw.base}/servers/conf/mcp`, {
        method: 'GET',
        headers: { authorization: `Bearer ${RATE_KEY}` },
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.body?.cancel();
    }
    expect(statuses.slice(0, RATE).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(RATE)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // Another credential is not affected.
    expect((await post(`Bearer ${await token()}`)).status).toBe(200);
    const metrics = await (await fetch(`${gw.base}/metrics`)).text();
    // Principal ids stay out of /metrics unless metrics.principalLabels says otherwise.
    expect(metricValue(metrics, 'mcp_warden_rate_limited_total', 'principal="api-key"')).toBe(2);
    expect(metrics).not.toContain('key:rate');
    expect(metricValue(metrics, 'mcp_warden_auth_failures_total', 'reason="revoked"')).toBeGreaterThanOrEqual(
      3,
    );
  });
});
