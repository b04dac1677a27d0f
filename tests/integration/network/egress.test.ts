import { createSocket } from 'node:dgram';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCKER_PROFILE,
  GVISOR_PROFILE,
  ISOLATE_PROFILE,
  isContainer,
  ourContainers,
  shareWithSandbox,
} from '../../helpers/containers.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT, type StartedWarden, startWarden } from '../../helpers/warden.ts';
import {
  type CountingServer,
  OPENSSL_AVAILABLE,
  httpServer,
  httpsServer,
  makeCertificates,
} from './loopback-servers.ts';
import { toolText } from '../../helpers/tool-text.ts';

// Loopback only: every name is *.test mapped with network.resolve to 127.0.0.1; nothing else is dialled.
const FETCH_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/fetch-server.mjs');

describe.each([
  ['none', true],
  ['bwrap', BWRAP_AVAILABLE],
  ['docker', DOCKER_PROFILE.enabled],
  ['gvisor', GVISOR_PROFILE.enabled],
  ['isolate', ISOLATE_PROFILE.enabled],
] as const)('egress by allowlist (%s)', (backend, available) => {
  let plain: CountingServer;
  let tls: CountingServer;
  let warden: StartedWarden;
  let auditLog: string;
  /** The warden's TMPDIR: where its proxy socket's directory is made. */
  let sockets: string;
  const call = async (name: string, args: Record<string, unknown>) =>
    toolText(await warden.client.callTool({ name, arguments: args }));

  beforeAll(async () => {
    if (!available || !OPENSSL_AVAILABLE) return;
    const dir = tmpRoot('net');
    const certs = makeCertificates(dir, ['api.example.test', 'other.example.test']);
    plain = await httpServer();
    tls = await httpsServer(certs.key, certs.cert);
    const profile = path.join(dir, 'profile.json');
    writeFileSync(
      profile,
      JSON.stringify({
        name: `net-${backend}`,
        backend,
        network: {
          allow: [
            `api.example.test:${plain.port}`,
            `api.example.test:${tls.port}`,
            `other.example.test:${tls.port}`,
          ],
          allowPrivate: true,
          resolve: {
            'api.example.test': '127.0.0.1',
            'other.example.test': '127.0.0.1',
            'evil.example.test': '127.0.0.1',
          },
        },
      }),
    );
    auditLog = path.join(dir, 'audit.jsonl');
    // A container runs as nobody when root starts it: the CA file must be readable to it.
    shareWithSandbox(dir, backend);
    sockets = tmpRoot('net-sock');
    warden = await startWarden({
      wardenEnv: { ...process.env, TMPDIR: sockets },
      profile: profile as 'none',
      roots: [`${dir}:ro`],
      env: [`NODE_EXTRA_CA_CERTS=${certs.caFile}`],
      auditLog,
      command: ['node', FETCH_SERVER],
    });
  }, 60_000);

  afterAll(async () => {
    await warden?.close();
    await plain?.close();
    await tls?.close();
  });

  it.runIf(available && OPENSSL_AVAILABLE)(
    backend === 'isolate'
      ? 'needs no proxy variables: the isolate’s fetch/http shims reach the proxy host-side'
      : 'gives the server the proxy variables',
    async () => {
      const env = JSON.parse(await call('env', {})) as Record<string, string | null>;
      if (backend === 'isolate') {
        expect(Object.values(env)).toEqual([null, null, null, null, null]);
        return;
      }
      expect(env.HTTP_PROXY).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(env.ALL_PROXY).toBe(env.HTTP_PROXY);
      expect(env.NO_PROXY).toBe('');
      expect(env.NODE_USE_ENV_PROXY).toBe('1');
    },
  );

  // bwrap and none: the relay hands its listener to the warden and is gone before the server runs; the
  // server inherits no channel. docker and gvisor: no descriptor crosses to the host, the relay stays.
  it.runIf(available && OPENSSL_AVAILABLE && backend !== 'isolate')(
    backend === 'docker' || backend === 'gvisor'
      ? 'keeps one relay process beside the server, which inherits no socket'
      : 'hands the relay’s listener to the warden: no relay process stays, the server inherits no channel',
    async () => {
      const seen = JSON.parse(await call('inherited', {})) as {
        sockets: string[];
        relays: string[];
        channel: string | null;
      };
      expect(seen.sockets).toEqual([]);
      expect(seen.channel).toBeNull();
      expect(seen.relays).toHaveLength(backend === 'docker' || backend === 'gvisor' ? 1 : 0);
    },
  );

  it.runIf(available && OPENSSL_AVAILABLE)(
    'reaches an allowed host over HTTP and over HTTPS through CONNECT',
    async () => {
      const before = plain.hits();
      expect(await call('fetch_url', { url: `http://api.example.test:${plain.port}/a` })).toContain(
        `200 hello from api.example.test:${plain.port}/a`,
      );
      expect(plain.hits()).toBe(before + 1);
      expect(await call('fetch_url', { url: `https://api.example.test:${tls.port}/b` })).toContain(
        '200 hello from',
      );
      expect(tls.hits()).toBeGreaterThanOrEqual(1);
    },
  );

  it.runIf(available && OPENSSL_AVAILABLE)(
    'refuses a host not allowed: it never gets a byte, and the error says how to allow it',
    async () => {
      const before = plain.hits();
      const reply = await call('fetch_url', { url: `http://evil.example.test:${plain.port}/` });
      expect(reply).toContain('403');
      expect(reply).toContain(`--allow-host evil.example.test:${plain.port}`);
      expect(plain.hits()).toBe(before);
    },
  );

  it.runIf(available && OPENSSL_AVAILABLE)('refuses an allowed name on another port', async () => {
    const unlisted = plain.port - 1;
    expect(await call('fetch_url', { url: `http://api.example.test:${unlisted}/` })).toContain('not on port');
  });

  // On `none` (no isolation) the same probe gets through: the control that shows it can fail.
  it.runIf(available && OPENSSL_AVAILABLE)(
    backend === 'none'
      ? 'control: without a sandbox, raw TCP and UDP reach the host (the probe below detects a way around)'
      : 'leaves the sandbox no way around the proxy: raw TCP and UDP to the host, DNS fail',
    async () => {
      const before = plain.hits();
      // A host UDP socket on the same port number counts the datagrams that reach it.
      const udp = createSocket('udp4');
      let datagrams = 0;
      udp.on('message', () => datagrams++);
      await new Promise<void>((resolve) => udp.bind(plain.port, '127.0.0.1', resolve));
      try {
        const reply = await call('probe', { host: '127.0.0.1', port: plain.port, name: 'api.example.test' });
        await new Promise((resolve) => setTimeout(resolve, 200));
        if (backend === 'isolate') {
          // A V8 isolate has no sockets, datagrams or resolver: each call throws at once.
          expect(reply).toBe(
            'tcp: ERR_WARDEN_UNAVAILABLE\nudp: ERR_WARDEN_UNAVAILABLE\ndns: ERR_WARDEN_UNAVAILABLE',
          );
          expect(plain.hits()).toBe(before);
          expect(datagrams).toBe(0);
          return;
        }
        if (backend === 'none') {
          expect(reply).toContain('tcp: connected');
          expect(datagrams).toBe(1);
          return;
        }
        expect(reply).toMatch(/tcp: (ECONNREFUSED|ENETUNREACH|timeout)/);
        expect(reply).toMatch(/dns: E(AI_AGAIN|NOTFOUND|CONNREFUSED)/);
        expect(plain.hits()).toBe(before);
        // Sent into the sandbox's own loopback (or refused): nothing reaches the host's.
        expect(datagrams).toBe(0);
      } finally {
        udp.close();
      }
    },
  );

  it.runIf(available && OPENSSL_AVAILABLE)(
    'writes one audit event per connection with host, port, verdict, rule and bytes',
    async () => {
      // An allowed connection is audited when it ends: end the session (keep-alive tunnels close) first.
      await warden.close();
      // The proxy closes (and audits the tunnels it still held) as the warden exits, after session.end.
      const settled = (): boolean => {
        const text = readFileSync(auditLog, 'utf8');
        return text.includes('"session.end"') && /"verdict":"allow"[^\n]*"bytesIn":[1-9]/.test(text);
      };
      for (let i = 0; i < 200 && !settled(); i++) await new Promise((r) => setTimeout(r, 50));
      const events = readFileSync(auditLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((e) => e.event === 'network.connection');
      expect(
        events.some(
          (e) => e.verdict === 'allow' && e.host === 'api.example.test' && (e.bytesIn as number) > 0,
        ),
      ).toBe(true);
      expect(
        events.some(
          (e) =>
            e.verdict === 'deny' && e.rule === 'network.host-not-allowed' && e.host === 'evil.example.test',
        ),
      ).toBe(true);
      for (const e of events) expect(e).toHaveProperty('durationMs');
    },
  );

  it.runIf(available && OPENSSL_AVAILABLE)(
    'leaves nothing behind: the proxy socket’s directory and the sandbox are gone once the session ends',
    async () => {
      await warden.close();
      const gone = async (): Promise<boolean> =>
        readdirSync(sockets).length === 0 && (!isContainer(backend) || (await ourContainers()).length === 0);
      for (let i = 0; i < 100 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(sockets)).toEqual([]);
      if (isContainer(backend)) expect(await ourContainers()).toEqual([]);
    },
  );
});
