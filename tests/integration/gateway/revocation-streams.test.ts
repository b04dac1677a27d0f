import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commandLine, findProcesses } from '../../helpers/processes.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE } from '../../helpers/warden.ts';
import { CONFORMANCE_SERVER, metricValue, startGateway, type StartedGateway } from './gateway-helpers.ts';
import { openGetStream, rawOpen, rawPost, type RawSession } from './raw-session.ts';

const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'https://gateway.test/mcp';
const VICTIM_KEY = `mwk_${randomBytes(24).toString('hex')}`;
const BYSTANDER_KEY = `mwk_${randomBytes(24).toString('hex')}`;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** How long after the revocation or the expiry the session must be gone (the issue: within a second). */
const WITHIN_MS = 1000;

let jwks: Server;
let signingKey: CryptoKey;
let gw: StartedGateway;
let revocationFile: string;
let auditDir: string;
const markers = new Map<string, string>();

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  signingKey = pair.privateKey;
  const published = [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }];
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const dir = tmpRoot('revocation');
  revocationFile = path.join(dir, 'revoked.txt');
  auditDir = path.join(dir, 'audit');
  writeFileSync(revocationFile, '# revoked credentials\n');
  // One server per test, so each test counts only its own sandboxes.
  const servers: Record<string, unknown> = {};
  for (const name of ['key', 'sub', 'exp', 'renew']) {
    const marker = `leaktag-${randomBytes(4).toString('hex')}`;
    markers.set(name, marker);
    servers[name] = { profile: PROFILE, command: ['node', CONFORMANCE_SERVER, marker] };
  }
  gw = await startGateway({
    auth: {
      apiKeys: [
        { id: 'victim', sha256: sha256(VICTIM_KEY) },
        { id: 'bystander', sha256: sha256(BYSTANDER_KEY) },
      ],
      jwt: {
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
        algorithms: ['ES256'],
        // exp means exp here: the session must end at it, not 5 s later.
        clockToleranceSec: 0,
      },
      revocationFile,
    },
    auditDir,
    servers,
    limits: { ratePerMinute: 10_000 },
  });
});

afterEach(() => {
  writeFileSync(revocationFile, '');
});

afterAll(async () => {
  await gw?.stop();
  await new Promise((resolve) => jwks?.close(resolve));
});

async function token(sub: string, exp: number): Promise<string> {
  return new SignJWT({ scope: 'mcp' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(sub)
    .setJti(randomBytes(8).toString('hex'))
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(signingKey);
}

/** Servers of test `name` running now (bwrap's own processes carry the marker too, not counted). */
function servers(name: string): number {
  return findProcesses(markers.get(name)!).filter(
    (pid) => path.basename(commandLine(pid).split(' ')[0] ?? '') === 'node',
  ).length;
}

async function until(check: () => boolean, withinMs: number): Promise<number> {
  const start = Date.now();
  while (!check() && Date.now() - start < withinMs) await new Promise((resolve) => setTimeout(resolve, 20));
  return Date.now();
}

/** A session with its GET stream open and a 20 s tool call in flight. */
async function busySession(
  server: string,
  authorization: string,
): Promise<{
  session: RawSession;
  stream: Awaited<ReturnType<typeof openGetStream>>;
  call: Promise<{ at: number; messages: Array<Record<string, unknown>> }>;
}> {
  const session = await rawOpen(gw.url(server), { authorization });
  const stream = await openGetStream(session);
  expect(stream.status).toBe(200);
  const call = rawPost(
    gw.url(server),
    {
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'gateway_test_sleep', arguments: { ms: 20_000 } },
    },
    session.headers,
  ).then((res) => ({ at: Date.now(), messages: res.messages }));
  // The call reaches the server (and sleeps there).
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { session, stream, call };
}

function expectTerminated(messages: Array<Record<string, unknown>>, rule: string): void {
  const answer = messages.find((m) => m.id === 7) as
    { error?: { code: number; message: string; data?: { rule?: string } } } | undefined;
  expect(answer?.error?.code, JSON.stringify(messages)).toBe(-32002);
  expect(answer?.error?.data?.rule).toBe(rule);
  expect(answer?.error?.message).toMatch(/^mcp-warden: sandbox terminated: /);
}

function auditedRules(): string[] {
  const rules: string[] = [];
  for (const file of readdirSync(auditDir)) {
    for (const line of readFileSync(path.join(auditDir, file), 'utf8').split('\n')) {
      if (line.includes('"event":"verdict"')) rules.push((JSON.parse(line) as { rule: string }).rule);
    }
  }
  return rules;
}

describe(`gateway: revocation and expiry end open sessions (${PROFILE})`, () => {
  it.each([
    {
      what: 'an API key id (file replaced by rename, as a ConfigMap update does)',
      server: 'key',
      victim: async () => `Bearer ${VICTIM_KEY}`,
      revoke: () => {
        const next = `${revocationFile}.next`;
        writeFileSync(next, '# revoked\nkey:victim\n');
        renameSync(next, revocationFile);
      },
    },
    {
      what: 'a JWT subject (file written in place)',
      server: 'sub',
      victim: async () => `Bearer ${await token('alice', Math.floor(Date.now() / 1000) + 300)}`,
      revoke: () => writeFileSync(revocationFile, `# revoked\njwt:${ISSUER}:alice\n`),
    },
  ])(
    'revoking $what closes its GET stream, answers its call -32002 and stops its sandbox',
    async (t) => {
      const authorization = await t.victim();
      const busy = await busySession(t.server, authorization);
      // Someone else's session on the same server goes on.
      const other = await rawOpen(gw.url(t.server), { authorization: `Bearer ${BYSTANDER_KEY}` });
      expect(servers(t.server)).toBe(2);

      const revokedAt = Date.now();
      t.revoke();
      const call = await busy.call;
      expectTerminated(call.messages, 'auth.revoked');
      expect(call.at - revokedAt).toBeLessThan(WITHIN_MS);
      const streamEnded = await busy.stream.ended;
      expect(streamEnded - revokedAt).toBeLessThan(WITHIN_MS);
      const gone = await until(() => servers(t.server) === 1, 2000);
      process.stderr.write(
        `revocation (${t.server}): call answered ${call.at - revokedAt} ms, GET stream closed ${streamEnded - revokedAt} ms, sandbox gone ${gone - revokedAt} ms after the file changed\n`,
      );
      expect(servers(t.server)).toBe(1);
      expect(gone - revokedAt).toBeLessThan(WITHIN_MS);

      // The credential is refused from now on; the bystander's session still works.
      expect(
        (await rawPost(gw.url(t.server), { jsonrpc: '2.0', id: 8, method: 'ping' }, busy.session.headers))
          .status,
      ).toBe(401);
      const ping = await rawPost(gw.url(t.server), { jsonrpc: '2.0', id: 9, method: 'ping' }, other.headers);
      expect(ping.messages[0]).toMatchObject({ id: 9, result: {} });
      expect(auditedRules()).toContain('auth.revoked');
    },
    30_000,
  );

  it('a token passing its exp closes its GET stream, answers its call -32002 and stops its sandbox', async () => {
    // Far enough ahead that the session is busy before it, even on a loaded machine.
    const exp = Math.floor(Date.now() / 1000) + 4;
    const busy = await busySession('exp', `Bearer ${await token('bob', exp)}`);
    expect(servers('exp')).toBe(1);
    const call = await busy.call;
    expectTerminated(call.messages, 'auth.expired');
    expect(call.at - exp * 1000).toBeLessThan(WITHIN_MS);
    expect(call.at - exp * 1000).toBeGreaterThanOrEqual(-50);
    const streamEnded = await busy.stream.ended;
    expect(streamEnded - exp * 1000).toBeLessThan(WITHIN_MS);
    const gone = await until(() => servers('exp') === 0, 2000);
    process.stderr.write(
      `expiry: call answered ${call.at - exp * 1000} ms, GET stream closed ${streamEnded - exp * 1000} ms, sandbox gone ${gone - exp * 1000} ms after exp\n`,
    );
    expect(servers('exp')).toBe(0);
    const metrics = await (await fetch(`${gw.base}/metrics`)).text();
    expect(metricValue(metrics, 'mcp_warden_sessions_ended_total', 'reason="expired"')).toBe(1);
    expect(metricValue(metrics, 'mcp_warden_verdicts_total', 'rule="auth.expired"')).toBe(1);
  }, 30_000);

  it('a client that refreshed its token keeps its session past the first token’s exp', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3;
    const session = await rawOpen(gw.url('renew'), { authorization: `Bearer ${await token('carol', exp)}` });
    const fresh = { ...session.headers, authorization: `Bearer ${await token('carol', exp + 300)}` };
    expect((await rawPost(gw.url('renew'), { jsonrpc: '2.0', id: 2, method: 'ping' }, fresh)).status).toBe(
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 500));
    const ping = await rawPost(gw.url('renew'), { jsonrpc: '2.0', id: 3, method: 'ping' }, fresh);
    expect(ping.messages[0]).toMatchObject({ id: 3, result: {} });
    expect(servers('renew')).toBe(1);
  }, 30_000);
});
