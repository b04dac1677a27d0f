// Whole sessions across replicas behind a plain round-robin load balancer (issue 17, item 7): three real
// `mcp-warden gateway` processes on loopback, nginx (from the distribution's packages; .ci/run installs
// it) in front with no stickiness, and the SDK's Streamable HTTP client doing full sessions through it.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOP_HEADER, signHop } from '../../../src/gateway/cluster/hop-signature.ts';
import { SessionIdCodec, replicaId } from '../../../src/gateway/cluster/session-id.ts';
import { freePort, type Lb, NGINX, startNginx } from '../../helpers/nginx-lb.ts';
import { expectNoProcesses } from '../../helpers/processes.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT, WARDEN_ENTRY } from '../../helpers/warden.ts';
import { metricValue, startGateway, type StartedGateway } from './gateway-helpers.ts';

const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';
const EVERYTHING = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);
const MARKER = `leaktag-cluster-${randomBytes(4).toString('hex')}`;
/** The shared key: the key file's bytes (base64 text, as an operator would write it). */
const KEY = Buffer.from(randomBytes(48).toString('base64'));
const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789';
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

interface Replica {
  origin: string;
  id: string;
  gateway: StartedGateway;
}

interface Opened {
  client: Client;
  transport: StreamableHTTPClientTransport;
  sessionId: string;
  owner: string;
  /** Log notifications, with whether a request of ours was in flight when each arrived. */
  logs: { during: boolean }[];
  inFlight: number;
}

async function open(url: string, token: string): Promise<Opened> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
    reconnectionOptions: {
      initialReconnectionDelay: 200,
      maxReconnectionDelay: 1000,
      reconnectionDelayGrowFactor: 1.5,
      maxRetries: 5,
    },
  });
  const client = new Client({ name: 'cluster-test', version: '1.0.0' });
  client.onerror = () => undefined;
  const opened = { client, transport, logs: [], inFlight: 0 } as unknown as Opened;
  client.setNotificationHandler(LoggingMessageNotificationSchema, () => {
    opened.logs.push({ during: opened.inFlight > 0 });
  });
  await client.connect(transport);
  opened.sessionId = transport.sessionId!;
  opened.owner = new SessionIdCodec(KEY, '0'.repeat(16)).owner(opened.sessionId)!;
  return opened;
}

/** A request of ours, counted as in flight (a notification arriving meanwhile may ride its stream). */
async function call<T>(s: Opened, run: (c: Client) => Promise<T>): Promise<T> {
  s.inFlight++;
  try {
    return await run(s.client);
  } finally {
    s.inFlight--;
  }
}

async function metrics(replica: Replica): Promise<string> {
  return (await fetch(`${replica.origin}/metrics`)).text();
}

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const rawHeaders = (token: string, sessionId: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
  'mcp-session-id': sessionId,
});
const LIST = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' });
const PATH = '/servers/everything/mcp';

describe('the load balancer this test needs', () => {
  it('nginx is installed (.ci/run installs it from the distribution)', () => {
    expect(NGINX, 'nginx not found: apt-get install -y nginx').toBeDefined();
  });
});

describe.runIf(NGINX !== undefined)(`three gateway replicas (${PROFILE}) behind round-robin nginx`, () => {
  const replicas: Replica[] = [];
  let lb: Lb;
  let dir: string;

  beforeAll(async () => {
    dir = tmpRoot('cluster');
    writeFileSync(path.join(dir, 'key'), KEY);
    const ports = [await freePort(), await freePort(), await freePort()];
    const origins = ports.map((p) => `http://127.0.0.1:${p}`);
    const started = await Promise.all(
      ports.map((port, i) =>
        startGateway({
          listen: { host: '127.0.0.1', port },
          auth: {
            apiKeys: [
              { id: 'alice', sha256: sha(ALICE) },
              { id: 'bob', sha256: sha(BOB) },
            ],
          },
          cluster: { self: origins[i], peers: origins, keyFile: path.join(dir, 'key') },
          servers: { everything: { profile: PROFILE, command: ['node', EVERYTHING, 'stdio', MARKER] } },
        }),
      ),
    );
    for (const [i, gateway] of started.entries()) {
      replicas.push({ origin: origins[i]!, id: replicaId(KEY, origins[i]!), gateway });
    }
    lb = await startNginx(origins, tmpRoot('nginx'));
  }, 60_000);

  afterAll(async () => {
    await lb?.stop();
    await Promise.all(
      replicas.map((r) => (r.gateway.child.exitCode === null ? r.gateway.stop() : undefined)),
    );
    await expectNoProcesses(MARKER, 5000);
  });

  it('refuses forged session ids, forged forwards and misrouted forwards without forwarding them', async () => {
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const codec = new SessionIdCodec(KEY, b.id);
    const received = async (r: Replica): Promise<number> =>
      metricValue(await metrics(r), 'mcp_warden_cluster_forwarded_received_total');
    const before = { b: await received(b), c: await received(c) };

    // An id naming replica b, with a valid shape but made without the key: an unknown session at a.
    const forged = new SessionIdCodec(randomBytes(48), b.id).mint();
    const res = await fetch(`${a.origin}${PATH}`, {
      method: 'POST',
      headers: rawHeaders(ALICE, forged),
      body: LIST,
    });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('session not found');
    expect(metricValue(await metrics(a), 'mcp_warden_cluster_refused_total', 'reason="session-id"')).toBe(1);
    expect(metricValue(await metrics(a), 'mcp_warden_cluster_forwards_total')).toBe(0);

    // A client posing as a replica: the forwarded path needs a signature made with the key.
    const id = codec.mint();
    for (const signature of [
      `v1.${Date.now()}.${Buffer.from('key:alice').toString('base64url')}.${'A'.repeat(43)}`,
      signHop(
        randomBytes(48),
        { method: 'POST', path: PATH, sessionId: id, principal: 'key:alice' },
        Date.now(),
      ),
      // Signed with the key, but for another request: not reusable.
      signHop(KEY, { method: 'DELETE', path: PATH, sessionId: id, principal: 'key:alice' }, Date.now()),
    ]) {
      const hop = await fetch(`${b.origin}${PATH}`, {
        method: 'POST',
        headers: { ...rawHeaders(ALICE, id), [HOP_HEADER]: signature },
        body: LIST,
      });
      expect(hop.status).toBe(403);
      expect(await hop.text()).toContain('forwarded request refused');
    }

    // A genuinely signed forward that reaches a replica which does not own the session (peer lists
    // disagree): answered there, never forwarded again.
    const ofC = new SessionIdCodec(KEY, c.id).mint();
    const loop = await fetch(`${b.origin}${PATH}`, {
      method: 'POST',
      headers: {
        ...rawHeaders(ALICE, ofC),
        [HOP_HEADER]: signHop(
          KEY,
          { method: 'POST', path: PATH, sessionId: ofC, principal: 'key:alice' },
          Date.now(),
        ),
      },
      body: LIST,
    });
    expect(loop.status).toBe(404);
    expect(metricValue(await metrics(b), 'mcp_warden_cluster_refused_total', 'reason="misrouted"')).toBe(1);
    expect(await received(b)).toBe(before.b + 1);
    expect(await received(c)).toBe(before.c);
  });

  it('keeps whole sessions through the load balancer, and survives losing a replica', async () => {
    const url = `${lb.url}${PATH}`;
    // Open sessions until every replica owns some (each connect is three requests, and round robin
    // would otherwise keep landing initialize on the same replica: one extra request shifts it).
    const sessions: Opened[] = [];
    const owners = (): Set<string> => new Set(sessions.map((s) => s.owner));
    while (sessions.length < 12 && (owners().size < 3 || sessions.length < 6)) {
      sessions.push(await open(url, ALICE));
      if (sessions.length % 2 === 0) await fetch(`${lb.url}/healthz`);
    }
    expect(owners()).toEqual(new Set(replicas.map((r) => r.id)));

    // Every session works, whichever replica nginx picks for each request.
    await Promise.all(
      sessions.map(async (s, i) => {
        const tools = await call(s, (c) => c.listTools());
        expect(tools.tools.map((t) => t.name)).toEqual(
          expect.arrayContaining(['echo', 'get-sum', 'toggle-simulated-logging']),
        );
        for (let n = 0; n < 4; n++) {
          const echo = await call(s, (c) =>
            c.callTool({ name: 'echo', arguments: { message: `s${i}-${n}` } }),
          );
          expect(echo.content).toEqual([{ type: 'text', text: `Echo: s${i}-${n}` }]);
          const sum = await call(s, (c) => c.callTool({ name: 'get-sum', arguments: { a: i, b: n } }));
          expect(JSON.stringify(sum.content)).toContain(String(i + n));
        }
        await call(s, (c) => c.callTool({ name: 'toggle-simulated-logging', arguments: {} }));
      }),
    );
    // The server logs every 5 s; with no request of ours in flight, only the GET stream can carry it.
    await until(() => sessions.every((s) => s.logs.some((l) => !l.during)), 12_000, 'log notifications');

    // The requests really crossed replicas: POSTs, GET streams and (below) DELETEs were forwarded.
    const all = (await Promise.all(replicas.map(metrics))).join('\n');
    expect(metricValue(all, 'mcp_warden_cluster_forwarded_received_total', 'method="POST"')).toBeGreaterThan(
      0,
    );
    expect(metricValue(all, 'mcp_warden_cluster_forwarded_received_total', 'method="GET"')).toBeGreaterThan(
      0,
    );

    // A bob token cannot use alice's session through any replica: the owner checks the principal.
    const foreign = sessions[0]!;
    for (const r of replicas) {
      const res = await fetch(`${r.origin}${PATH}`, {
        method: 'POST',
        headers: rawHeaders(BOB, foreign.sessionId),
        body: LIST,
      });
      expect(res.status, r.origin).toBe(404);
    }

    // One replica dies without a drain (SIGKILL): its sessions are gone, everyone else's go on.
    const dead = replicas[0]!;
    dead.gateway.child.kill('SIGKILL');
    await dead.gateway.exit;
    const orphaned = sessions.filter((s) => s.owner === dead.id);
    const alive = sessions.filter((s) => s.owner !== dead.id);
    expect(orphaned.length).toBeGreaterThan(0);
    expect(alive.length).toBeGreaterThan(0);
    for (const s of orphaned) {
      for (let n = 0; n < 2; n++) {
        await expect(
          call(s, (c) => c.callTool({ name: 'echo', arguments: { message: 'x' } })),
        ).rejects.toThrow(/replica that owned this session is gone: start a new session/);
      }
    }
    const logsBefore = alive.map((s) => s.logs.length);
    await Promise.all(
      alive.map(async (s, i) => {
        for (let n = 0; n < 4; n++) {
          const echo = await call(s, (c) =>
            c.callTool({ name: 'echo', arguments: { message: `after-${i}-${n}` } }),
          );
          expect(echo.content).toEqual([{ type: 'text', text: `Echo: after-${i}-${n}` }]);
        }
      }),
    );
    // Their GET streams too: a stream that ran through the dead replica reconnects through a live one.
    await until(
      () => alive.every((s, i) => s.logs.slice(logsBefore[i]).some((l) => !l.during)),
      15_000,
      'log notifications after the kill',
    );

    // DELETE ends a session at its owner, sandbox and all: one sent straight to a live replica that
    // does not own it (so it is forwarded for sure), the others through the load balancer.
    const [first, ...rest] = alive as [Opened, ...Opened[]];
    const other = replicas.slice(1).find((r) => r.id !== first.owner)!;
    const owner = replicas.find((r) => r.id === first.owner)!;
    const deletesBefore = metricValue(
      await metrics(owner),
      'mcp_warden_cluster_forwarded_received_total',
      'method="DELETE"',
    );
    const del = await fetch(`${other.origin}${PATH}`, {
      method: 'DELETE',
      headers: rawHeaders(ALICE, first.sessionId),
    });
    expect(del.status).toBe(200);
    expect(
      metricValue(await metrics(owner), 'mcp_warden_cluster_forwarded_received_total', 'method="DELETE"'),
    ).toBe(deletesBefore + 1);
    for (const s of rest) await s.transport.terminateSession();
    for (const r of replicas.slice(1)) {
      await until(
        async () =>
          ((await (await fetch(`${r.origin}/readyz`)).json()) as { sessions: number }).sessions === 0,
        5000,
        `${r.origin} to have no session`,
      );
    }
    const deleted = await fetch(url, {
      method: 'POST',
      headers: rawHeaders(ALICE, alive[0]!.sessionId),
      body: LIST,
    });
    expect(deleted.status).toBe(404);
    for (const s of sessions) await s.client.close();
  }, 60_000);

  it('refuses a bad cluster section at start-up with exit status 2', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(path.join(dir, 'short-key'), 'too short');
    writeFileSync(
      file,
      JSON.stringify({
        listen: { host: '127.0.0.1', port: 0 },
        cluster: { self: 'http://127.0.0.1:1', peers: ['http://127.0.0.1:1'], keyFile: 'short-key' },
        servers: { everything: { profile: 'none', command: ['node', EVERYTHING] } },
      }),
    );
    const run = spawnSync(process.execPath, [WARDEN_ENTRY, 'gateway', '--config', file], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('cluster.keyFile');
    expect(run.stderr).toContain('needs at least 32');
  });
});
