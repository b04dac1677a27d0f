// The isolate's fetch and http/https shims, run for real: the isolate host process (host-main) runs
// tests/fixtures/isolate/net-probe.mjs with the socket of a real EgressProxy (in this process) in its
// config; loopback origins (HTTP and HTTPS with a test CA) count every request by Host, so a refused
// host is shown never to get a byte. Without a socket the same APIs throw "not available".
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../../../src/network/connection-event.ts';
import { compileEgressPolicy } from '../../../../src/network/egress-policy.ts';
import { EgressProxy } from '../../../../src/network/egress-proxy.ts';
import { HOST_CONFIG_ENV, type HostConfig } from '../../../../src/sandboxes/isolate/host-config.ts';
import { OPENSSL_AVAILABLE, makeCertificates } from '../../../integration/network/loopback-servers.ts';
import { tmpRoot } from '../../../helpers/tmp-root.ts';
import { PROJECT_ROOT } from '../../../helpers/warden.ts';

const HOST_MAIN = path.join(PROJECT_ROOT, 'src/sandboxes/isolate/host-main.ts');
const PROBE = path.join(PROJECT_ROOT, 'tests/fixtures/isolate/net-probe.mjs');

interface Origin {
  port: number;
  /** Requests received, by Host header. */
  hosts: string[];
  close(): Promise<void>;
}

/** A loopback origin with the routes the probe uses. */
async function origin(server: http.Server): Promise<Origin> {
  const hosts: string[] = [];
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    hosts.push(String(req.headers.host));
    const url = new URL(req.url ?? '/', 'http://origin');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (url.pathname === '/hello') {
        res.setHeader('content-type', 'text/plain');
        res.end(`hello from ${req.headers.host}${req.url} ${String(req.headers['x-test'] ?? '')}`.trim());
      } else if (url.pathname === '/echo') {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            method: req.method,
            body: Buffer.concat(chunks).toString('utf8'),
            type: req.headers['content-type'] ?? null,
            test: req.headers['x-test'] ?? null,
          }),
        );
      } else if (url.pathname === '/cookies') {
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.setHeader('x-dup', ['a', 'b']);
        res.setHeader('content-type', 'text/plain');
        res.end('cookies');
      } else if (url.pathname === '/redirect') {
        res.writeHead(302, { location: '/hello' }).end();
      } else if (url.pathname === '/gzip') {
        res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('unzipped by fetch'));
      } else if (url.pathname === '/big') {
        const total = Number(url.searchParams.get('bytes'));
        const block = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        const more = (): void => {
          while (sent < total) {
            const part = block.subarray(0, Math.min(block.length, total - sent));
            sent += part.length;
            if (!res.write(part)) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      } else if (url.pathname !== '/slow') res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hosts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Run the probe in the isolate host; resolves with its JSON line and stderr. */
function runProbe(
  config: HostConfig,
): Promise<{ out: Record<string, unknown>; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOST_MAIN], {
      env: { [HOST_CONFIG_ENV]: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      resolve({ out: line === undefined ? {} : (JSON.parse(line) as Record<string, unknown>), stderr, code });
    });
  });
}

describe.runIf(OPENSSL_AVAILABLE)('isolate fetch/http/https through the egress proxy', () => {
  let plain: Origin;
  let tls: Origin;
  let proxy: EgressProxy;
  let socketPath: string;
  let caFile: string;
  const events: ConnectionEvent[] = [];
  let result: Awaited<ReturnType<typeof runProbe>>;

  const config = (egressSocket: string | undefined): HostConfig => ({
    entry: PROBE,
    argv: [process.execPath, PROBE, JSON.stringify({ plain: plain.port, tls: tls.port })],
    env: { NODE_EXTRA_CA_CERTS: caFile },
    cwd: path.dirname(PROBE),
    roots: [],
    readOnlyPaths: [path.dirname(PROBE)],
    // 64 MB: the body cap of fetch's text() is a quarter of it (16 MB); the probe reads 20 MB.
    memoryMb: 64,
    cpuMs: 20_000,
    cacheDir: tmpRoot('net-shims-cache'),
    ...(egressSocket === undefined ? {} : { egressSocket }),
  });

  beforeAll(async () => {
    const dir = tmpRoot('net-shims');
    const certs = makeCertificates(dir, ['api.example.test', 'evil.example.test']);
    caFile = certs.caFile;
    plain = await origin(http.createServer());
    tls = await origin(https.createServer({ key: certs.key, cert: certs.cert }));
    const compiled = compileEgressPolicy({
      allow: [`api.example.test:${plain.port}`, `api.example.test:${tls.port}`],
      deny: [],
      allowPrivate: true,
      maxConnections: 32,
      onDeny: 'deny',
      resolve: { 'api.example.test': '127.0.0.1', 'evil.example.test': '127.0.0.1' },
    });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    proxy = new EgressProxy({ policy: compiled.policy, onEvent: (e) => events.push(e), hostAddresses: [] });
    mkdirSync(path.join(dir, 'proxy'));
    socketPath = path.join(dir, 'proxy', 'proxy.sock');
    await proxy.listen(socketPath);
    result = await runProbe(config(socketPath));
  }, 90_000);

  afterAll(async () => {
    await proxy?.close();
    await plain?.close();
    await tls?.close();
  });

  it('runs the probe to the end with nothing on stderr but the start report', () => {
    expect(result.stderr).not.toMatch(/Error|warning/i);
    expect(result.code).toBe(0);
  });

  it('fetch reaches an allowed host over HTTP and over HTTPS (CONNECT, the test CA from NODE_EXTRA_CA_CERTS)', () => {
    expect(result.out.fetchPlain).toEqual({
      status: 200,
      ok: true,
      type: 'text/plain',
      text: `hello from api.example.test:${plain.port}/hello?x=1`,
    });
    expect(result.out.fetchTls).toEqual({
      status: 200,
      text: `hello from api.example.test:${tls.port}/hello`,
      url: `https://api.example.test:${tls.port}/hello`,
    });
  });

  it('a refused plain request is a 403 saying how to allow the host; it never reaches the origin', () => {
    const refused = result.out.fetchRefusedPlain as { status: number; text: string };
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('network.host-not-allowed');
    expect(refused.text).toContain(`--allow-host evil.example.test:${plain.port}`);
    expect((result.out.fetchIpLiteral as { status: number }).status).toBe(403);
    expect((result.out.httpRefused as { status: number; body: string }).status).toBe(403);
    expect((result.out.httpRefused as { body: string }).body).toContain('--allow-host evil.example.test');
    expect(plain.hosts.filter((h) => !h.startsWith('api.example.test'))).toEqual([]);
  });

  it('a refused HTTPS tunnel rejects fetch with a TypeError quoting the proxy, and emits http error', () => {
    const refused = result.out.fetchRefusedTls as { threw: string; message: string; causeCode: string };
    expect(refused.threw).toBe('TypeError');
    expect(refused.message).toMatch(
      /^fetch failed: mcp-warden refused this connection \(network.host-not-allowed\)/,
    );
    expect(refused.message).toContain(`--allow-host evil.example.test:${tls.port}`);
    expect(refused.causeCode).toBe('ERR_WARDEN_EGRESS_REFUSED');
    const viaHttps = result.out.httpsRefused as { error: string; code: string };
    expect(viaHttps.code).toBe('ERR_WARDEN_EGRESS_REFUSED');
    expect(viaHttps.error).toContain(`--allow-host evil.example.test:${tls.port}`);
    expect(tls.hosts.filter((h) => !h.startsWith('api.example.test'))).toEqual([]);
  });

  it('every connection went through the proxy and was audited', () => {
    const denied = events.filter((e) => e.verdict === 'deny').map((e) => `${e.host}:${e.port}`);
    expect(denied).toContain(`evil.example.test:${plain.port}`);
    expect(denied).toContain(`evil.example.test:${tls.port}`);
    expect(denied).toContain(`127.0.0.1:${plain.port}`);
    // Each origin request came through one proxy connection (the proxy saw at least as many).
    const allowed = events.filter((e) => e.verdict === 'allow').length;
    expect(allowed).toBeGreaterThanOrEqual(plain.hosts.length + tls.hosts.length - 1);
  });

  it('fetch: bodies, headers, redirects, gzip, streaming, clone, Request objects', () => {
    expect(result.out.fetchPostJson).toEqual({
      method: 'POST',
      body: '{"a":1}',
      type: 'application/json',
      test: 'yes',
    });
    expect(result.out.fetchRedirect).toEqual({
      status: 200,
      redirected: true,
      url: `http://api.example.test:${plain.port}/hello`,
      text: `hello from api.example.test:${plain.port}/hello`,
    });
    expect(result.out.fetchRedirectManual).toEqual({ status: 302, location: '/hello' });
    expect(result.out.fetchGzip).toBe('unzipped by fetch');
    expect(result.out.fetchStream).toEqual({ bytes: 3 * 1024 * 1024, many: true });
    expect(result.out.fetchIterate).toBe(100_000);
    expect(result.out.fetchClone).toEqual([
      `hello from api.example.test:${plain.port}/hello`,
      `hello from api.example.test:${plain.port}/hello`,
    ]);
    expect(result.out.fetchRequestObject).toMatchObject({ method: 'PUT', body: 'hi' });
    expect(result.out.headers).toEqual({
      list: [
        ['a', '2, 3'],
        ['b', '1'],
      ],
      get: '2, 3',
    });
    expect(result.out.localResponse).toEqual({ ok: true });
  });

  it('fetch: a body past a quarter of the heap, a timeout and a bad scheme are clear errors', () => {
    expect(result.out.fetchTooBig).toMatchObject({ threw: 'TypeError' });
    expect((result.out.fetchTooBig as { message: string }).message).toMatch(/larger than 16 MB .*--memory/);
    expect(result.out.fetchTimeout).toMatchObject({ threw: 'TimeoutError' });
    expect(result.out.fetchBadScheme).toMatchObject({ threw: 'TypeError' });
    expect((result.out.fetchBadScheme as { message: string }).message).toContain('unknown scheme file:');
  });

  it('http and https: request/get with callbacks, options objects, events in Node order, iteration', () => {
    expect(result.out.httpGet).toEqual({
      status: 200,
      type: 'text/plain',
      body: `hello from api.example.test:${plain.port}/hello`,
    });
    expect(result.out.httpsPost).toEqual({
      status: 200,
      type: 'application/json',
      body: JSON.stringify({ method: 'POST', body: 'posted', type: 'text/plain', test: null }),
    });
    expect((result.out.httpOptions as { body: string }).body).toBe(
      `hello from api.example.test:${plain.port}/hello?y=2 opt`,
    );
    expect(result.out.httpEvents).toEqual(['finish', 'response', 'string', 'end', 'res-close', 'close']);
    expect(result.out.httpIterate).toBe(200_000);
    expect(result.out.httpWrongProtocol).toMatchObject({ code: 'ERR_INVALID_PROTOCOL' });
    expect(result.out.httpReadable).toBe(300_000);
    expect(result.out.httpPipe).toEqual({ bytes: 500_000, ended: true });
    expect(result.out.httpHeaders).toEqual({ cookies: ['a=1', 'b=2'], dup: 'a, b', type: 'text/plain' });
  });

  it('Headers and Request validate as in Node; Set-Cookie stays apart', () => {
    expect(result.out.fetchSetCookie).toEqual(['a=1', 'b=2']);
    expect(result.out.headersInvalid).toMatchObject({ threw: 'TypeError' });
    expect(result.out.requestGetBody).toMatchObject({
      threw: 'TypeError',
      message: 'Request with GET/HEAD method cannot have body.',
    });
  });

  it('exports every name node:http and node:https export', () => {
    expect(result.out.exports).toEqual({
      http: Object.keys(http).sort(),
      https: Object.keys(https).sort(),
    });
  });

  it('leaves no other way out: sockets, servers, raw TCP, UDP and DNS are unavailable', () => {
    for (const name of ['httpSocketPath', 'httpCreateServer', 'tcp', 'udp', 'dns'])
      expect(result.out[name], name).toMatchObject({ code: 'ERR_WARDEN_UNAVAILABLE' });
  });

  it('without an egress socket, fetch and http stay unavailable with the usual message', async () => {
    const before = plain.hosts.length + tls.hosts.length;
    const off = await runProbe(config(undefined));
    const unavailable = /not available under --profile isolate/;
    for (const name of ['fetchPlain', 'fetchTls', 'httpGet', 'httpsPost']) {
      expect(off.out[name], name).toMatchObject({ code: 'ERR_WARDEN_UNAVAILABLE' });
      expect((off.out[name] as { message: string }).message).toMatch(unavailable);
    }
    expect(plain.hosts.length + tls.hosts.length).toBe(before);
  }, 60_000);
});
