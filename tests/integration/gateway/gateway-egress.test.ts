// Egress by allowlist behind the gateway: every HTTP session (and every warm sandbox) gets its own
// egress proxy, on its own socket in its own 0700 directory, with its own caps and audit events in the
// session's own audit file; the proxy and its directory go when the session ends (DELETE, breach) and
// when the gateway shuts down. Real gateway, real SDK client over Streamable HTTP, the fetch fixture
// (Node's fetch through HTTP_PROXY), loopback only: *.test names mapped to 127.0.0.1 with `resolve`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoProcesses, findProcesses } from '../../helpers/processes.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT } from '../../helpers/warden.ts';
import { type CountingServer, httpServer } from '../network/loopback-servers.ts';
import { connectClient, gatewayPerTest, metricValue, startGateway } from './gateway-helpers.ts';
import { toolText } from '../../helpers/tool-text.ts';

const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';
const FETCH_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/fetch-server.mjs');
const BOOT_FETCH_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/boot-fetch-server.mjs');
const RESOLVE = { 'api.example.test': '127.0.0.1', 'evil.example.test': '127.0.0.1' };

/** The proxy socket directories under `tmp` (the gateway's TMPDIR). */
function socketDirs(tmp: string): string[] {
  return readdirSync(tmp)
    .filter((name) => name.startsWith('mcp-warden-net-'))
    .map((name) => path.join(tmp, name));
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  for (let waited = 0; !check(); waited += 25) {
    if (waited > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

type AuditEvent = Record<string, unknown> & { event: string };

function auditFiles(dir: string): Map<string, AuditEvent[]> {
  const files = new Map<string, AuditEvent[]>();
  for (const name of readdirSync(dir)) {
    const events = readFileSync(path.join(dir, name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditEvent);
    files.set(name, events);
  }
  return files;
}

describe(`gateway egress by allowlist on ${PROFILE}`, () => {
  let origin: CountingServer;

  it('gives each session its own proxy: allowed host reached, refused host gets nothing, dirs gone after DELETE and shutdown', async () => {
    gatewayPerTest();
    origin = await httpServer();
    const tmp = tmpRoot('gw-egress-tmp');
    const auditDir = tmpRoot('gw-egress-audit');
    try {
      const allowed = `api.example.test:${origin.port}`;
      const gw = await startGateway(
        {
          auditDir,
          servers: {
            // The entry's own network object replaces the profile's (network: false in bwrap/none).
            net: {
              profile: PROFILE,
              command: ['node', FETCH_SERVER],
              network: { allow: [allowed], allowPrivate: true, resolve: RESOLVE },
            },
            // allowHost adds to the entry's network, as --allow-host does on `run`; one warm sandbox.
            warmnet: {
              profile: PROFILE,
              command: ['node', FETCH_SERVER],
              network: { allowPrivate: true, resolve: RESOLVE },
              allowHost: [allowed],
              warm: 1,
            },
            strict: {
              profile: PROFILE,
              command: ['node', FETCH_SERVER],
              network: { allow: [allowed], allowPrivate: true, resolve: RESOLVE, onDeny: 'kill' },
            },
          },
        },
        { TMPDIR: tmp },
      );
      expect(gw.stderr()).toContain(`servers.net: network: egress by allowlist: ${allowed}`);
      expect(gw.stderr()).toContain('servers.strict: network: egress by allowlist');
      expect(gw.stderr()).toContain('ends the session (onDeny kill)');
      // The warm sandbox has its proxy before any client.
      await until(() => socketDirs(tmp).length === 1, 'the warm sandbox proxy');

      const a = await connectClient(gw.url('net'));
      const b = await connectClient(gw.url('net'));
      expect(socketDirs(tmp)).toHaveLength(3);
      for (const dir of socketDirs(tmp)) {
        expect(statSync(dir).mode & 0o777).toBe(0o700);
        expect(readdirSync(dir)).toEqual(['proxy.sock']);
      }

      const before = origin.hits();
      for (const [who, { client }] of [
        ['a', a],
        ['b', b],
      ] as const) {
        const reply = toolText(
          await client.callTool({ name: 'fetch_url', arguments: { url: `http://${allowed}/${who}` } }),
        );
        expect(reply).toBe(`200 hello from ${allowed}/${who}`);
      }
      expect(origin.hits()).toBe(before + 2);

      const refused = toolText(
        await a.client.callTool({
          name: 'fetch_url',
          arguments: { url: `http://evil.example.test:${origin.port}/` },
        }),
      );
      expect(refused).toContain('403');
      expect(refused).toContain(`--allow-host evil.example.test:${origin.port}`);
      expect(origin.hits()).toBe(before + 2);

      // The warm server: its session takes the warm sandbox (and its proxy); the pool refills with a
      // new sandbox and a new proxy.
      const c = await connectClient(gw.url('warmnet'));
      expect(
        toolText(await c.client.callTool({ name: 'fetch_url', arguments: { url: `http://${allowed}/c` } })),
      ).toBe(`200 hello from ${allowed}/c`);
      await until(() => socketDirs(tmp).length === 4, 'the refilled warm sandbox proxy');

      // DELETE ends A's session: its proxy and socket directory go with it; B still works.
      const dirsBefore = socketDirs(tmp);
      await a.transport.terminateSession();
      await a.client.close();
      await until(() => socketDirs(tmp).length === 3, "the DELETEd session's socket directory to go");
      expect(dirsBefore.filter((dir) => !socketDirs(tmp).includes(dir))).toHaveLength(1);
      expect(
        toolText(await b.client.callTool({ name: 'fetch_url', arguments: { url: `http://${allowed}/b2` } })),
      ).toBe(`200 hello from ${allowed}/b2`);

      // onDeny kill: a refused connection is the session's breach; its proxy goes too.
      const strict = await connectClient(gw.url('strict'));
      expect(socketDirs(tmp)).toHaveLength(4);
      await expect(
        strict.client.callTool({
          name: 'fetch_url',
          arguments: { url: `http://evil.example.test:${origin.port}/` },
        }),
      ).rejects.toMatchObject({ code: -32002 });
      await until(() => socketDirs(tmp).length === 3, "the breached session's socket directory to go");
      // The session's bookkeeping follows its proxy's close by a moment.
      let metrics = '';
      for (let i = 0; i < 40; i++) {
        metrics = await (await fetch(`${gw.base}/metrics`)).text();
        if (metricValue(metrics, 'mcp_warden_sessions_ended_total', 'reason="breach"') > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(metricValue(metrics, 'mcp_warden_sessions_ended_total', 'reason="breach"')).toBe(1);
      expect(origin.hits()).toBe(before + 4);

      // Shutdown: every session's proxy and the warm sandbox's are closed, their directories removed.
      expect(await gw.stop()).toEqual({ code: 0, signal: null });
      expect(socketDirs(tmp)).toEqual([]);

      // Each session's connections are audited in that session's own file, nowhere else.
      const files = auditFiles(auditDir);
      const withDeny = [...files].filter(([, events]) =>
        events.some((e) => e.event === 'network.connection' && e.verdict === 'deny'),
      );
      expect(withDeny.map(([name]) => name.split('-')[0]).sort()).toEqual(['net', 'strict']);
      // Connections, not requests: a client's keep-alive tunnel carries several requests.
      const withAllow = [...files].filter(([, events]) =>
        events.some((e) => e.event === 'network.connection' && e.verdict === 'allow'),
      );
      expect(withAllow.map(([name]) => name.split('-')[0]).sort()).toEqual(['net', 'net', 'warmnet']);
      const strictFile = [...files].find(([name]) => name.startsWith('strict-'))?.[1] ?? [];
      expect(strictFile).toContainEqual(
        expect.objectContaining({ event: 'verdict', action: 'kill', rule: 'network.host-not-allowed' }),
      );
    } finally {
      await origin.close();
    }
  }, 60_000);

  it('onDeny kill: a warm sandbox that reached a refused host while booting is breached by the session that takes it', async () => {
    gatewayPerTest();
    origin = await httpServer();
    const auditDir = tmpRoot('gw-egress-boot');
    const marker = `bootkill-${process.pid}-${Date.now()}`;
    try {
      const gw = await startGateway({
        auditDir,
        servers: {
          bootkill: {
            profile: PROFILE,
            command: ['node', BOOT_FETCH_SERVER, marker],
            env: [`BOOT_FETCH_URL=http://evil.example.test:${origin.port}/boot`],
            network: {
              allow: [`api.example.test:${origin.port}`],
              allowPrivate: true,
              resolve: RESOLVE,
              onDeny: 'kill',
            },
            warm: 1,
          },
        },
      });
      await until(() => findProcesses(marker).length > 0, 'the warm sandbox');
      const warmPids = findProcesses(marker);
      // Give the server time to make its refused request before any session exists (its event and
      // the breach are then held by the proxy until a session takes the sandbox).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const session = connectClient(gw.url('bootkill')).then(({ client }) =>
        client.callTool({ name: 'env', arguments: {} }),
      );
      await expect(session).rejects.toBeDefined();
      // The breached sandbox is gone (the pool's refill is a new one).
      await until(() => findProcesses(marker).every((pid) => !warmPids.includes(pid)), 'the sandbox to go');
      expect(origin.hits()).toBe(0);
      expect(await gw.stop()).toEqual({ code: 0, signal: null });
      await expectNoProcesses(marker, 3000);
      const files = [...auditFiles(auditDir)].filter(([, events]) =>
        events.some((e) => e.event === 'session.start'),
      );
      expect(files).toHaveLength(1);
      const events = files[0]![1];
      expect(events).toContainEqual(
        expect.objectContaining({ event: 'network.connection', verdict: 'deny', host: 'evil.example.test' }),
      );
      expect(events).toContainEqual(
        expect.objectContaining({ event: 'verdict', action: 'kill', rule: 'network.host-not-allowed' }),
      );
      expect(events.find((e) => e.event === 'session.end')).toMatchObject({ exitCode: 70 });
    } finally {
      await origin.close();
    }
  }, 60_000);

  it("counts each session's caps on its own proxy: one session using up maxBytesOut leaves another's intact", async () => {
    gatewayPerTest();
    origin = await httpServer();
    const tmp = tmpRoot('gw-egress-caps');
    try {
      const allowed = `api.example.test:${origin.port}`;
      const gw = await startGateway(
        {
          servers: {
            capped: {
              profile: PROFILE,
              command: ['node', FETCH_SERVER],
              network: { allow: [allowed], allowPrivate: true, resolve: RESOLVE, maxBytesOut: 1000 },
            },
          },
        },
        { TMPDIR: tmp },
      );
      const fetchUrl = async (client: Awaited<ReturnType<typeof connectClient>>['client'], p: string) =>
        toolText(await client.callTool({ name: 'fetch_url', arguments: { url: `http://${allowed}/${p}` } }));
      const x = await connectClient(gw.url('capped'));
      const y = await connectClient(gw.url('capped'));
      // Each request sends a few hundred bytes upstream: x passes its 1000 within a few.
      const replies: string[] = [];
      for (let i = 0; i < 8; i++) replies.push(await fetchUrl(x.client, `x${i}`));
      expect(replies[0]).toBe(`200 hello from ${allowed}/x0`);
      expect(replies.some((reply) => !reply.startsWith('200 '))).toBe(true);
      // y's proxy has counted nothing of x's.
      expect(await fetchUrl(y.client, 'y0')).toBe(`200 hello from ${allowed}/y0`);
      expect(await gw.stop()).toEqual({ code: 0, signal: null });
      expect(socketDirs(tmp)).toEqual([]);
    } finally {
      await origin.close();
    }
  }, 60_000);
});
