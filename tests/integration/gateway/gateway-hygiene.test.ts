import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLine, expectNoProcesses, findProcesses } from '../../helpers/processes.ts';
import { BWRAP_AVAILABLE } from '../../helpers/warden.ts';
import {
  CONFORMANCE_SERVER,
  connectClient,
  gatewayPerTest,
  metricValue,
  startGateway,
  type StartedGateway,
} from './gateway-helpers.ts';

const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';
const KEY = `mwk_${randomBytes(24).toString('hex')}`;
const LABEL_KEY = `mwk_${randomBytes(24).toString('hex')}`;
const APP = 'https://app.example';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const AUTH = { authorization: `Bearer ${KEY}` };
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
/** Small so the tests see them act; defaults are in the schema. */
const LIMITS = {
  requestTimeoutMs: 1000,
  headersTimeoutMs: 800,
  keepAliveTimeoutMs: 700,
  authFailuresPerMinute: 20,
  ratePerMinute: 400,
};

let gw: StartedGateway;
let port: number;
const marker = `leaktag-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  gw = await startGateway({
    auth: {
      apiKeys: [
        { id: 'ci', sha256: sha256(KEY) },
        { id: 'lab', sha256: sha256(LABEL_KEY) },
      ],
    },
    allowedOrigins: [APP],
    servers: { conf: { profile: PROFILE, command: ['node', CONFORMANCE_SERVER, marker] } },
    limits: LIMITS,
    metrics: { principalLabels: true },
  });
  port = Number(new URL(gw.base).port);
});

afterAll(async () => {
  await gw?.stop();
  await expectNoProcesses(marker, 3000);
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request by node:http (which, unlike fetch, may forge Host and pick the source address). */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Open a TCP connection; resolves once connected, with when (and whether) the gateway closed it. */
async function openSocket(): Promise<{ socket: Socket; closed: Promise<{ afterMs: number; data: string }> }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  const opened = Date.now();
  let data = '';
  socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
  const closed = new Promise<{ afterMs: number; data: string }>((resolve) =>
    socket.once('close', () => resolve({ afterMs: Date.now() - opened, data })),
  );
  return { socket, closed };
}

/** Resolves with `value` after `ms`, for races against something that should (not) happen. */
const after = <T>(ms: number, value: T): Promise<T> =>
  new Promise((resolve) => setTimeout(() => resolve(value), ms));

async function metrics(): Promise<string> {
  return (await raw('/metrics')).body;
}

describe('gateway connection hygiene', () => {
  it('cuts a client that sends its body too slowly at the request timeout (408)', async () => {
    const { socket, closed } = await openSocket();
    socket.write(
      `POST /servers/conf/mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${KEY}\r\n` +
        'Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{',
    );
    const drip = setInterval(() => socket.write(' '), 100);
    const result = await Promise.race([closed, after(4000, undefined)]);
    clearInterval(drip);
    socket.destroy();
    expect(result, 'the slow request was never cut').toBeDefined();
    expect(result!.data).toMatch(/^HTTP\/1\.1 408 /);
    expect(result!.afterMs).toBeGreaterThanOrEqual(LIMITS.requestTimeoutMs - 50);
    expect(result!.afterMs).toBeLessThan(LIMITS.requestTimeoutMs + 1500);
  });

  it('closes a connection that never sends a request, and an idle keep-alive one', async () => {
    const silent = await openSocket();
    const keptAlive = await openSocket();
    keptAlive.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    const [silentResult, keptAliveResult] = await Promise.all([
      Promise.race([silent.closed, after(4000, undefined)]),
      Promise.race([keptAlive.closed, after(4000, undefined)]),
    ]);
    silent.socket.destroy();
    keptAlive.socket.destroy();
    expect(silentResult, 'a silent connection was held').toBeDefined();
    expect(silentResult!.afterMs).toBeLessThan(LIMITS.headersTimeoutMs + 600);
    expect(keptAliveResult, 'an idle keep-alive connection was held').toBeDefined();
    expect(keptAliveResult!.data).toMatch(/^HTTP\/1\.1 200 /);
    // Node keeps a keep-alive socket up to a second past keepAliveTimeout (its own buffer).
    expect(keptAliveResult!.afterMs).toBeLessThan(LIMITS.keepAliveTimeoutMs + 1600);
  });

  it('does not cut a GET event stream at the request timeout', async () => {
    const init = await raw('/servers/conf/mcp', {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...AUTH },
      body: INITIALIZE,
    });
    const session = {
      ...AUTH,
      'mcp-session-id': String(init.headers['mcp-session-id']),
      'mcp-protocol-version': '2025-06-18',
    };
    await raw('/servers/conf/mcp', {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...session },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    // The session's standalone event stream, held by this test alone.
    const stream = await new Promise<{ status: number; ended: Promise<number> }>((resolve, reject) => {
      const opened = Date.now();
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/servers/conf/mcp',
          headers: { ...session, accept: 'text/event-stream' },
        },
        (res) => {
          res.resume();
          const ended = new Promise<number>((done) => res.once('close', () => done(Date.now() - opened)));
          resolve({ status: res.statusCode ?? 0, ended });
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(stream.status).toBe(200);
    const cut = await Promise.race([stream.ended, after(LIMITS.requestTimeoutMs * 2.5, undefined)]);
    expect(cut, 'the GET stream was cut').toBeUndefined();
    // The stream ends with its session, not before.
    const deleted = await raw('/servers/conf/mcp', { method: 'DELETE', headers: session });
    expect(deleted.status).toBe(200);
    expect(await Promise.race([stream.ended, after(3000, undefined)])).toBeDefined();
  });

  it('after too many failed authentications from one address answers 429 before checking keys', async () => {
    const statuses: number[] = [];
    let retryAfter: string | string[] | undefined;
    for (let i = 0; i < 200; i++) {
      const res = await raw('/servers/conf/mcp', {
        method: 'POST',
        headers: { ...MCP_HEADERS, authorization: `Bearer wrong-${i}` },
        body: INITIALIZE,
        localAddress: '127.0.0.3',
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers['retry-after'];
    }
    expect(statuses.slice(0, LIMITS.authFailuresPerMinute).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(LIMITS.authFailuresPerMinute + 2).every((s) => s === 429)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // The 429s never reached authentication: only the first failures were counted as such.
    const text = await metrics();
    expect(metricValue(text, 'mcp_warden_auth_failures_total', 'reason="invalid"')).toBeLessThanOrEqual(
      LIMITS.authFailuresPerMinute + 2,
    );
    expect(metricValue(text, 'mcp_warden_auth_rate_limited_total')).toBeGreaterThanOrEqual(170);
    // A valid key from another address is not affected; from the same one it waits like the rest.
    const valid = (localAddress: string): Promise<RawResponse> =>
      raw('/servers/conf/mcp', {
        method: 'POST',
        headers: { ...MCP_HEADERS, ...AUTH },
        body: INITIALIZE,
        localAddress,
      });
    expect((await valid('127.0.0.2')).status).toBe(200);
    expect((await valid('127.0.0.3')).status).toBe(429);
    // Without trustedProxies, X-Forwarded-For is the client's own word: it does not get it a fresh bucket.
    const spoofed = await raw('/servers/conf/mcp', {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...AUTH, 'x-forwarded-for': '198.51.100.77' },
      body: INITIALIZE,
      localAddress: '127.0.0.3',
    });
    expect(spoofed.status).toBe(429);
  });
});

// Behind a load balancer every client arrives from the balancer's address: with trustedProxies the
// limiter counts the address the balancer saw (X-Forwarded-For, read from the right), so one client's
// wrong keys do not lock out everyone behind the same balancer. Addresses in headers are text only.
describe('gateway behind a trusted load balancer', () => {
  let lb: StartedGateway;
  const LB = '127.0.0.4';
  beforeAll(async () => {
    lb = await startGateway({
      auth: { apiKeys: [{ id: 'ci', sha256: sha256(KEY) }] },
      servers: { conf: { profile: PROFILE, command: ['node', CONFORMANCE_SERVER, marker] } },
      limits: { authFailuresPerMinute: 5, ratePerMinute: 400 },
      trustedProxies: [`${LB}/32`],
    });
  });
  afterAll(async () => {
    await lb?.stop();
  });

  const post = (key: string, localAddress: string, forwardedFor?: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: Number(new URL(lb.base).port),
          path: '/servers/conf/mcp',
          method: 'POST',
          headers: {
            ...MCP_HEADERS,
            authorization: `Bearer ${key}`,
            ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
          },
          localAddress,
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(INITIALIZE);
    });

  it('limits the client the balancer names, not the balancer, and ignores what the client prepends', async () => {
    const first: number[] = [];
    for (let i = 0; i < 8; i++) first.push(await post(`wrong-${i}`, LB, '198.51.100.7'));
    expect(first.slice(0, 5).every((s) => s === 401)).toBe(true);
    expect(first.at(-1)).toBe(429);
    // Another client behind the same balancer still gets in.
    expect(await post(KEY, LB, '198.51.100.8')).toBe(200);
    // The limited client cannot escape by writing another address in front of the balancer's entry.
    expect(await post(KEY, LB, '203.0.113.50, 198.51.100.7')).toBe(429);
    // A peer that is not a trusted balancer is counted itself, whatever its header says.
    for (let i = 0; i < 8; i++) await post(`wrong-${i}`, '127.0.0.5', `198.51.100.${100 + i}`);
    expect(await post(KEY, '127.0.0.5', '198.51.100.9')).toBe(429);
    expect(await post(KEY, LB, '198.51.100.9')).toBe(200);
  });
});

describe('gateway connection cap', () => {
  it('closes connections past limits.maxConnections at once', async () => {
    gatewayPerTest();
    const capped = await startGateway({
      servers: { conf: { profile: 'none', command: ['node', CONFORMANCE_SERVER, marker] } },
      limits: { maxConnections: 4 },
    });
    const url = new URL(capped.base);
    const held: Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const socket = connect(Number(url.port), '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      held.push(socket);
    }
    const extra = connect(Number(url.port), '127.0.0.1');
    extra.on('error', () => undefined);
    const closedAt = await Promise.race([
      new Promise<number>((resolve) => extra.once('close', () => resolve(Date.now()))),
      after(1500, undefined),
    ]);
    extra.destroy();
    expect(closedAt, 'a connection past the cap was kept').toBeDefined();
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${capped.base}/healthz`)).status).toBe(200);
  });
});

describe('gateway smaller holes (issue 17 item 6)', () => {
  it('checks Host on /readyz, /metrics and the protected-resource metadata', async () => {
    const evil = { host: 'evil.example' };
    for (const path of ['/readyz', '/metrics', '/.well-known/oauth-protected-resource/servers/conf/mcp']) {
      const refused = await raw(path, { headers: evil });
      expect(refused.status, path).toBe(403);
      expect(refused.body).not.toContain('mcp_warden_');
      expect(refused.body).not.toContain('evil.example/');
      expect((await raw(path)).status, path).toBe(200);
    }
    const meta = JSON.parse(
      (
        await raw('/.well-known/oauth-protected-resource/servers/conf/mcp', {
          headers: { host: `localhost:${port}` },
        })
      ).body,
    ) as { resource: string };
    expect(meta.resource).toBe(`http://localhost:${port}/servers/conf/mcp`);
  });

  it('never echoes a quote from Host into WWW-Authenticate', async () => {
    const res = await raw('/servers/conf/mcp', {
      method: 'POST',
      headers: { ...MCP_HEADERS, host: `127.0.0.1:${port}", error="forged` },
      body: INITIALIZE,
    });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.body).toContain('not a valid host');
  });

  it('labels metrics with principal ids only when metrics.principalLabels says so', async () => {
    // Until the first 429 (the bucket refills a little while the loop runs).
    let limited = false;
    for (let i = 0; i < LIMITS.ratePerMinute * 2 && !limited; i++) {
      const res = await raw('/servers/conf/mcp', { headers: { authorization: `Bearer ${LABEL_KEY}` } });
      limited = res.status === 429;
    }
    expect(limited).toBe(true);
    expect(metricValue(await metrics(), 'mcp_warden_rate_limited_total', 'principal="key:lab"')).toBe(1);
  });

  it('answers a request in flight with -32002 session.deleted when its session is DELETEd', async () => {
    const { client, transport } = await connectClient(gw.url('conf'), AUTH);
    const call = client.callTool({ name: 'gateway_test_sleep', arguments: { ms: 20_000 } }).then(
      () => 'answered',
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const deleted = await raw('/servers/conf/mcp', {
      method: 'DELETE',
      headers: { ...AUTH, 'mcp-session-id': transport.sessionId ?? '', 'mcp-protocol-version': '2025-06-18' },
    });
    expect(deleted.status).toBe(200);
    const outcome = await Promise.race([call, after(5000, 'no answer within 5 s')]);
    expect(outcome).toMatchObject({ code: -32002, data: { rule: 'session.deleted' } });
    await client.close();
  });

  it('answers CORS preflight for allowedOrigins only, and exposes Mcp-Session-Id to them', async () => {
    const preflight = (origin: string): Promise<RawResponse> =>
      raw('/servers/conf/mcp', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, mcp-session-id',
        },
      });
    const allowed = await preflight(APP);
    expect(allowed.status).toBe(204);
    expect(allowed.headers).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
      'access-control-allow-headers':
        'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID',
    });
    const foreign = await preflight('https://evil.example');
    expect(foreign.status).toBe(403);
    expect(Object.keys(foreign.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    const init = await raw('/servers/conf/mcp', {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...AUTH, origin: APP },
      body: INITIALIZE,
    });
    expect(init.status).toBe(200);
    expect(init.headers['access-control-allow-origin']).toBe(APP);
    expect(init.headers['access-control-expose-headers']).toContain('Mcp-Session-Id');
    expect(init.headers['mcp-session-id']).toBeDefined();
  });

  it('counts a server killed from outside as exited, not as a policy breach', async () => {
    const before = await metrics();
    const { client } = await connectClient(gw.url('conf'), AUTH);
    await client.ping();
    // The server process itself (under bwrap: not bwrap, not the warden), killed by someone else.
    const server = findProcesses(marker).filter((pid) => {
      const cmd = commandLine(pid);
      return cmd.startsWith('node ') || cmd.includes('/node ' + CONFORMANCE_SERVER);
    });
    expect(server.length).toBeGreaterThanOrEqual(1);
    // Counted either way it could be: a session of an earlier test ending meanwhile (a DELETE still
    // under way) must not end the wait before this one is counted.
    const endings = (page: string): number =>
      metricValue(page, 'mcp_warden_sessions_ended_total', 'reason="exited"') +
      metricValue(page, 'mcp_warden_sessions_ended_total', 'reason="breach"');
    const ended = endings(before);
    process.kill(server.at(-1)!, 'SIGKILL');
    let text = '';
    for (let i = 0; i < 60; i++) {
      text = await metrics();
      if (endings(text) > ended) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const delta = (name: string, labels: string): number =>
      metricValue(text, name, labels) - metricValue(before, name, labels);
    expect(delta('mcp_warden_sessions_ended_total', 'reason="exited"')).toBe(1);
    expect(delta('mcp_warden_sessions_ended_total', 'reason="breach"')).toBe(0);
    expect(delta('mcp_warden_sandbox_stops_total', 'kind="exited"')).toBe(1);
    expect(metricValue(text, 'mcp_warden_verdicts_total', 'rule="sandbox.exited"')).toBe(0);
    await client.close();
  });
});
