// The seatbelt egress path on any OS, loopback only: the session's proxy listening on 127.0.0.1 (its
// loopback entry), a sandbox planned with that entry, and real clients (Node's fetch and http, Python's
// urllib) run with exactly the environment the plan gives the server. sandbox-exec itself runs only on
// a Mac: as in the other seatbelt launch tests, the plan's argv is swapped for the client, so what is
// tested here is the host side (listener, credential, proxy, variables), not the Seatbelt rule (the
// generator's tests pin that: tests/unit/seatbelt/seatbelt-egress.test.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../../src/network/connection-event.ts';
import { egressMode, proxySocketPath } from '../../../src/network/egress-settings.ts';
import { withLoopbackEntry } from '../../../src/network/loopback-launch.ts';
import { applyEgress, planEgress } from '../../../src/network/prepare-egress.ts';
import { type SessionEgress, startSessionEgress } from '../../../src/network/session-egress.ts';
import { readBasePolicy } from '../../../src/sandboxes/seatbelt/base-policy.ts';
import { seatbeltBackend } from '../../../src/sandboxes/seatbelt/seatbelt-backend.ts';
import { type SeatbeltDetails, planSeatbelt } from '../../../src/sandboxes/seatbelt/seatbelt-plan.ts';
import type { LaunchSpec, SandboxPlan } from '../../../src/sandboxes/types.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import {
  type CountingServer,
  OPENSSL_AVAILABLE,
  httpServer,
  httpsServer,
  makeCertificates,
} from './loopback-servers.ts';

const PYTHON = ((): string | undefined => {
  try {
    execFileSync('python3', ['-c', 'import urllib.request'], { stdio: 'ignore' });
    return 'python3';
  } catch {
    return undefined;
  }
})();

// /dev/shm: a directory canonicalMacPath leaves alone (unlike /tmp → /private/tmp), so launch's work
// directory can be made on Linux; the same as tests/unit/seatbelt/seatbelt-backend.test.ts.
const RUNNABLE = existsSync('/dev/shm') && OPENSSL_AVAILABLE;

/** Node's fetch and http.get to each URL, through the environment's proxy; one JSON line of results. */
const NODE_CLIENT = `
const http = require('node:http');
const viaHttp = (url) => new Promise((resolve) => {
  http.get(url, (res) => { let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => resolve({ status: res.statusCode, body })); })
    .on('error', (e) => resolve({ error: e.message }));
});
(async () => {
  const out = {};
  for (const url of JSON.parse(process.argv[1])) {
    try {
      const res = await fetch(url);
      out['fetch ' + url] = { status: res.status, body: await res.text() };
    } catch (e) {
      out['fetch ' + url] = { error: String(e.cause?.message ?? e.message) };
    }
    if (url.startsWith('http:')) out['http ' + url] = await viaHttp(url);
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

const PYTHON_CLIENT = `
import json, sys, urllib.request, urllib.error
out = {}
for url in json.loads(sys.argv[1]):
    try:
        with urllib.request.urlopen(url, timeout=10) as res:
            out[url] = {"status": res.status, "body": res.read().decode()}
    except urllib.error.HTTPError as e:
        out[url] = {"status": e.code, "body": e.read().decode()}
    except Exception as e:
        out[url] = {"error": str(e)}
print(json.dumps(out))
`;

type Results = Record<string, { status?: number; body?: string; error?: string }>;

describe.runIf(RUNNABLE)('seatbelt egress: the proxy on the host loopback (sandbox-exec swapped out)', () => {
  let allowed: CountingServer;
  let refused: CountingServer;
  let secure: CountingServer;
  let caFile: string;
  let egress: SessionEgress;
  let plan: SandboxPlan;
  let workParent: string;
  const events: ConnectionEvent[] = [];
  let runs = 0;

  beforeAll(async () => {
    const dir = tmpRoot('seatbelt-egress');
    const certs = makeCertificates(dir, ['api.example.test']);
    caFile = certs.caFile;
    allowed = await httpServer();
    refused = await httpServer();
    secure = await httpsServer(certs.key, certs.cert);
    const network = {
      allow: [`api.example.test:${allowed.port}`, `api.example.test:${secure.port}`],
      deny: [],
      allowPrivate: true,
      maxConnections: 32,
      onDeny: 'deny' as const,
      resolve: { 'api.example.test': '127.0.0.1', 'evil.example.test': '127.0.0.1' },
    };
    // As run does: plan the egress for seatbelt, start the proxy with its loopback entry, plan again.
    const spec: LaunchSpec = {
      executable: process.execPath,
      args: [],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_EXTRA_CA_CERTS: caFile },
      roots: [],
      readOnlyPaths: [],
      runtimePaths: [],
      cwd: '/tmp',
      limits: {},
      network: false,
    };
    const prepared = planEgress(network, [], 'seatbelt', []);
    expect(prepared).toMatchObject({ relay: false, loopback: true });
    await applyEgress(spec, prepared, '/nonexistent-cache');
    const mode = egressMode(network, []);
    if (mode.kind !== 'proxy') throw new Error('expected a proxied egress');
    egress = await startSessionEgress(mode, proxySocketPath(dir), undefined, { loopback: true });
    egress.attach({ audit: (event) => events.push(event), breach: () => undefined });
    if (egress.loopback === undefined) throw new Error('no loopback entry');
    workParent = mkdtempSync('/dev/shm/mcp-warden-seatbelt-egress-');
    plan = planSeatbelt(withLoopbackEntry(spec, egress.loopback), {
      basePolicy: readBasePolicy(),
      home: '/home/u',
      workDir: path.join(workParent, 'unused'),
    });
  }, 60_000);

  afterAll(async () => {
    await egress?.close();
    await Promise.all([allowed?.close(), refused?.close(), secure?.close()]);
    if (workParent) rmSync(workParent, { recursive: true, force: true });
  });

  /** Run `argv` as the sandbox would run the server (plan's env, cwd, work directory); its stdout. */
  async function runAsServer(argv: string[]): Promise<string> {
    const details = plan.details as unknown as SeatbeltDetails;
    const workDir = path.join(workParent, `run-${++runs}`);
    const own = {
      ...plan,
      details: {
        ...details,
        workDir,
        tmpDir: path.join(workDir, 'tmp'),
        profileFile: path.join(workDir, 'profile.sb'),
      },
    };
    const sandbox = await seatbeltBackend.launch({ ...own, argv, cwd: workParent });
    let out = '';
    sandbox.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exit = await sandbox.exited;
    expect(exit).toMatchObject({ code: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    return out;
  }

  const loopbackPort = (): number => egress.loopback!.port;

  it('the plan points the proxy variables at the loopback entry, with the credential', () => {
    const { port, credential } = egress.loopback!;
    expect(credential).toMatch(/^[0-9a-f]{32}$/);
    expect(plan.env.HTTP_PROXY).toBe(`http://warden:${credential}@127.0.0.1:${port}`);
    expect((plan.details as unknown as SeatbeltDetails).profile).toContain(
      `(remote tcp "localhost:${port}")`,
    );
  });

  it('Node (fetch and http): an allowed host works over HTTP and HTTPS; another host gets 403 and no byte', async () => {
    const before = { allowed: allowed.hits(), refused: refused.hits(), secure: secure.hits() };
    const urls = [
      `http://api.example.test:${allowed.port}/a`,
      `https://api.example.test:${secure.port}/s`,
      `http://evil.example.test:${refused.port}/x`,
      `http://api.example.test:${refused.port}/other-port`,
    ];
    const out = JSON.parse(
      await runAsServer([process.execPath, '-e', NODE_CLIENT, JSON.stringify(urls)]),
    ) as Results;
    expect(out[`fetch ${urls[0]}`]).toEqual({
      status: 200,
      body: `hello from api.example.test:${allowed.port}/a`,
    });
    expect(out[`http ${urls[0]}`]).toEqual({
      status: 200,
      body: `hello from api.example.test:${allowed.port}/a`,
    });
    expect(out[`fetch ${urls[1]}`]).toEqual({
      status: 200,
      body: `hello from api.example.test:${secure.port}/s`,
    });
    for (const url of [urls[2]!, urls[3]!]) {
      for (const how of ['fetch', 'http']) {
        expect(out[`${how} ${url}`]?.status, `${how} ${url}`).toBe(403);
        expect(out[`${how} ${url}`]?.body).toContain('--allow-host');
      }
    }
    expect(allowed.hits() - before.allowed).toBe(2);
    expect(secure.hits() - before.secure).toBe(1);
    expect(refused.hits()).toBe(before.refused); // the refused origin never received a byte
  });

  it.runIf(PYTHON !== undefined)(
    'Python urllib: the same through the credential in the proxy URL',
    async () => {
      const before = { allowed: allowed.hits(), refused: refused.hits() };
      const urls = [
        `http://api.example.test:${allowed.port}/py`,
        `http://evil.example.test:${refused.port}/py`,
      ];
      const out = JSON.parse(
        await runAsServer([PYTHON!, '-c', PYTHON_CLIENT, JSON.stringify(urls)]),
      ) as Results;
      expect(out[urls[0]!]).toEqual({ status: 200, body: `hello from api.example.test:${allowed.port}/py` });
      expect(out[urls[1]!]?.status).toBe(403);
      expect(allowed.hits() - before.allowed).toBe(1);
      expect(refused.hits()).toBe(before.refused);
    },
  );

  /** Send `request` to the loopback entry; resolves with everything read until the proxy closes. */
  function raw(request: string | Buffer, ...then: Array<string | Buffer>): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: loopbackPort() });
      let data = Buffer.alloc(0);
      const queue = [...then];
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        const next = queue.shift();
        if (next !== undefined) socket.write(next);
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy());
      socket.write(request);
    });
  }

  const basic = (user: string, password: string): string =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('a client without the session credential gets 407 and nothing is dialled (HTTP, CONNECT, wrong credential)', async () => {
    const before = allowed.hits();
    const target = `api.example.test:${allowed.port}`;
    const denied = events.length;
    const answers = await Promise.all([
      raw(`GET http://${target}/ HTTP/1.1\r\nHost: ${target}\r\n\r\n`),
      raw(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`),
      raw(
        `GET http://${target}/ HTTP/1.1\r\nHost: ${target}\r\nProxy-Authorization: ${basic('warden', 'f'.repeat(32))}\r\n\r\n`,
      ),
      raw(
        `GET http://${target}/ HTTP/1.1\r\nHost: ${target}\r\nProxy-Authorization: ${basic('root', egress.loopback!.credential)}\r\n\r\n`,
      ),
    ]);
    for (const answer of answers) {
      const text = answer.toString('latin1');
      expect(text).toMatch(/^HTTP\/1\.1 407 Proxy Authentication Required\r\n/);
      expect(text).toContain('Proxy-Authenticate: Basic realm="mcp-warden"');
    }
    expect(allowed.hits()).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refusals = events.slice(denied).filter((e) => e.reason?.includes('no valid proxy credential'));
    expect(refusals).toHaveLength(4);
    expect(refusals.every((e) => e.verdict === 'deny' && e.bytesOut === 0)).toBe(true);
    // The control: the same request with the credential goes through.
    const ok = await raw(
      `GET http://${target}/ok HTTP/1.1\r\nHost: ${target}\r\nProxy-Authorization: ${basic('warden', egress.loopback!.credential)}\r\n\r\n`,
    );
    expect(ok.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    expect(allowed.hits()).toBe(before + 1);
  });

  it('SOCKS5 needs RFC 1929 username/password with the credential', async () => {
    const before = allowed.hits();
    // No authentication offered: no acceptable method.
    expect([...(await raw(Buffer.from([5, 1, 0])))]).toEqual([5, 0xff]);
    const userPass = (user: string, password: string): Buffer =>
      Buffer.concat([
        Buffer.from([1, user.length]),
        Buffer.from(user),
        Buffer.from([password.length]),
        Buffer.from(password),
      ]);
    // A wrong password: method 2 chosen, then the sub-negotiation fails and the connection ends.
    expect([...(await raw(Buffer.from([5, 2, 0, 2]), userPass('warden', 'x'.repeat(32))))]).toEqual([
      5, 2, 1, 1,
    ]);
    // The right one, then CONNECT by name and a request: the allowed origin answers.
    const name = Buffer.from('api.example.test');
    const connect = Buffer.concat([
      Buffer.from([5, 1, 0, 3, name.length]),
      name,
      Buffer.from([allowed.port >> 8, allowed.port & 255]),
    ]);
    const target = `api.example.test:${allowed.port}`;
    const answer = await raw(
      Buffer.from([5, 1, 2]),
      userPass('warden', egress.loopback!.credential),
      connect,
      `GET /socks HTTP/1.1\r\nHost: ${target}\r\nConnection: close\r\n\r\n`,
    );
    expect([...answer.subarray(0, 4)]).toEqual([5, 2, 1, 0]);
    expect(answer.subarray(4, 14)[1]).toBe(0); // CONNECT succeeded
    expect(answer.toString('latin1')).toContain(`hello from ${target}/socks`);
    expect(allowed.hits()).toBe(before + 1);
  });

  it('launch refuses a plan made before the proxy listened (it would run with no network, silently)', async () => {
    const pending = planSeatbelt(
      {
        executable: '/bin/true',
        args: [],
        env: {},
        roots: [],
        readOnlyPaths: [],
        runtimePaths: [],
        cwd: '/tmp',
        limits: {},
        network: false,
        egress: { socketDir: '/nonexistent', socketPath: '/nonexistent/proxy.sock', loopback: {} },
      },
      { basePolicy: readBasePolicy(), home: '/home/u', workDir: path.join(workParent, 'pending') },
    );
    await expect(seatbeltBackend.launch(pending)).rejects.toMatchObject({ code: 'internal' });
    expect(existsSync(path.join(workParent, 'pending'))).toBe(false);
  });

  it('closing the session closes the loopback entry and removes the socket directory', async () => {
    const port = loopbackPort();
    const dir = path.dirname(egress.socketPath);
    await egress.close();
    expect(existsSync(dir)).toBe(false);
    const refusedConnect = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refusedConnect).toBe('ECONNREFUSED');
  });
});
