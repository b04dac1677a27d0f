import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionEvent } from '../../../src/network/connection-event.ts';
import { type NetworkSettings, compileEgressPolicy } from '../../../src/network/egress-policy.ts';
import { EgressProxy } from '../../../src/network/egress-proxy.ts';
import type { IpAddress } from '../../../src/network/ip-literal.ts';
import { captureClientHello } from './capture-client-hello.ts';

// Every address here is loopback; the refused cases map names to 10.0.0.1 and 169.254.169.254 with
// `resolve` and assert that the injected dialler is never called, so no packet is ever sent there.

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as net.AddressInfo).port;
}

/** A loopback origin counting requests. */
async function origin(): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    res.end(`hello from ${req.headers.host}`);
  });
  server.keepAliveTimeout = 1;
  return { port: await listen(server), hits: () => hits };
}

async function proxy(settings: Partial<NetworkSettings>) {
  const compiled = compileEgressPolicy({
    allow: [],
    deny: [],
    allowPrivate: true,
    maxConnections: 32,
    onDeny: 'deny',
    resolve: { 'example.test': '127.0.0.1', 'evil.test': '127.0.0.1' },
    ...settings,
  });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  const events: ConnectionEvent[] = [];
  const dial = vi.fn(
    (ip: IpAddress, port: number) =>
      new Promise<Duplex>((resolve, reject) => {
        const socket = net.connect({ host: ip.address, port, allowHalfOpen: true });
        socket.once('connect', () => resolve(socket));
        socket.once('error', reject);
      }),
  );
  const lookup = vi.fn(async (): Promise<IpAddress[]> => {
    throw new Error('no DNS in tests');
  });
  const egress = new EgressProxy({
    policy: compiled.policy,
    onEvent: (e) => events.push(e),
    dial,
    lookup,
    hostAddresses: [],
  });
  const front = net.createServer({ allowHalfOpen: true }, (socket) => void egress.handle(socket));
  const port = await listen(front);
  closers.push(() => egress.close());
  return { port, events, dial, lookup };
}

/** Send `data` to the proxy, then (optionally) more after the first answer; resolve with everything read. */
function exchange(port: number, first: Buffer | string, then?: Buffer | string): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    let sent = false;
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (then !== undefined && !sent) {
        sent = true;
        socket.write(then);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(data));
    socket.write(first);
    setTimeout(() => socket.destroy(), 4000).unref();
  });
}

async function waitForEvents(events: ConnectionEvent[], count: number): Promise<void> {
  for (let i = 0; i < 200 && events.length < count; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('EgressProxy, plain HTTP', () => {
  it('forwards an allowed request in absolute form, with the Host checked', async () => {
    const o = await origin();
    const p = await proxy({ allow: [`example.test:${o.port}`] });
    const reply = await exchange(
      p.port,
      `GET http://example.test:${o.port}/a HTTP/1.1\r\nHost: example.test:${o.port}\r\n\r\n`,
    );
    expect(reply.toString()).toContain(`hello from example.test:${o.port}`);
    expect(o.hits()).toBe(1);
    await waitForEvents(p.events, 1);
    expect(p.events[0]).toMatchObject({
      protocol: 'http',
      host: 'example.test',
      port: o.port,
      verdict: 'allow',
      address: '127.0.0.1',
    });
    expect(p.events[0]!.bytesOut).toBeGreaterThan(0);
    expect(p.events[0]!.bytesIn).toBeGreaterThan(0);
  });

  it('answers 403 for a host not allowed, saying how to allow it, and dials nothing', async () => {
    const o = await origin();
    const p = await proxy({ allow: [`example.test:${o.port}`] });
    const reply = (
      await exchange(p.port, `GET http://evil.test:${o.port}/ HTTP/1.1\r\nHost: evil.test:${o.port}\r\n\r\n`)
    ).toString();
    expect(reply).toMatch(/^HTTP\/1.1 403/);
    expect(reply).toContain('network.host-not-allowed');
    expect(reply).toContain(`--allow-host evil.test:${o.port}`);
    expect(p.dial).not.toHaveBeenCalled();
    expect(o.hits()).toBe(0);
    await waitForEvents(p.events, 1);
    expect(p.events[0]).toMatchObject({
      verdict: 'deny',
      rule: 'network.host-not-allowed',
      host: 'evil.test',
    });
  });

  it('refuses an allowed name on another port', async () => {
    const o = await origin();
    const p = await proxy({ allow: ['example.test'] });
    const reply = (
      await exchange(
        p.port,
        `GET http://example.test:${o.port}/ HTTP/1.1\r\nHost: example.test:${o.port}\r\n\r\n`,
      )
    ).toString();
    expect(reply).toContain('not on port');
    expect(p.dial).not.toHaveBeenCalled();
  });

  it('refuses a Host header naming another host (domain fronting)', async () => {
    const o = await origin();
    const p = await proxy({ allow: [`example.test:${o.port}`] });
    const reply = (
      await exchange(p.port, `GET http://example.test:${o.port}/ HTTP/1.1\r\nHost: evil.test\r\n\r\n`)
    ).toString();
    expect(reply).toMatch(/^HTTP\/1.1 403/);
    expect(reply).toContain('domain fronting');
    expect(p.dial).not.toHaveBeenCalled();
  });

  it.each([
    ['10.0.0.1', 'private'],
    ['169.254.169.254', 'metadata'],
  ])(
    'refuses an allowed name that resolves to %s without allowPrivate, before dialling',
    async (address, kind) => {
      const p = await proxy({
        allow: ['inside.example.test'],
        allowPrivate: false,
        resolve: { 'inside.example.test': address },
      });
      const reply = (
        await exchange(
          p.port,
          'GET http://inside.example.test/ HTTP/1.1\r\nHost: inside.example.test\r\n\r\n',
        )
      ).toString();
      expect(reply).toContain('network.private-address');
      expect(reply).toContain(kind);
      expect(p.dial).not.toHaveBeenCalled();
      await waitForEvents(p.events, 1);
      expect(p.events[0]).toMatchObject({ verdict: 'deny', rule: 'network.private-address', address });
    },
  );

  it('refuses metadata even with allowPrivate', async () => {
    const p = await proxy({
      allow: ['md.example.test'],
      allowPrivate: true,
      resolve: { 'md.example.test': '169.254.169.254' },
    });
    const reply = (
      await exchange(p.port, 'GET http://md.example.test/ HTTP/1.1\r\nHost: md.example.test\r\n\r\n')
    ).toString();
    expect(reply).toContain('network.private-address');
    expect(p.dial).not.toHaveBeenCalled();
  });

  it('refuses IP literals in every spelling unless an IP entry allows them', async () => {
    const p = await proxy({ allow: ['example.test'] });
    for (const host of ['127.0.0.1', '2130706433', '0177.0.0.1', '[::ffff:127.0.0.1]']) {
      const reply = (
        await exchange(p.port, `GET http://${host}/ HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
      ).toString();
      expect(reply).toContain('403');
    }
    expect(p.dial).not.toHaveBeenCalled();
  });

  it('never looks a name up before it is allowed', async () => {
    const p = await proxy({ allow: ['example.test'] });
    await exchange(p.port, 'GET http://unlisted.test/ HTTP/1.1\r\nHost: unlisted.test\r\n\r\n');
    expect(p.lookup).not.toHaveBeenCalled();
  });
});

describe('EgressProxy, CONNECT', () => {
  it('tunnels TLS whose SNI is the CONNECT host', async () => {
    const sink = net.createServer((socket) => socket.on('data', () => socket.end('ok')));
    const port = await listen(sink);
    const p = await proxy({ allow: [`example.test:${port}`] });
    const hello = await captureClientHello('example.test');
    const reply = (
      await exchange(
        p.port,
        `CONNECT example.test:${port} HTTP/1.1\r\nHost: example.test:${port}\r\n\r\n`,
        hello,
      )
    ).toString('latin1');
    expect(reply).toContain('200 Connection Established');
    expect(reply).toContain('ok');
    expect(p.dial).toHaveBeenCalledTimes(1);
  });

  it('refuses a ClientHello naming another host, without dialling', async () => {
    const sink = net.createServer();
    const port = await listen(sink);
    const p = await proxy({ allow: [`example.test:${port}`] });
    const hello = await captureClientHello('evil.test');
    await exchange(p.port, `CONNECT example.test:${port} HTTP/1.1\r\n\r\n`, hello);
    expect(p.dial).not.toHaveBeenCalled();
    await waitForEvents(p.events, 1);
    expect(p.events[0]).toMatchObject({ protocol: 'connect', verdict: 'deny', rule: 'network.sni-mismatch' });
  });

  it('refuses non-TLS, non-HTTP bytes on port 443', async () => {
    const p = await proxy({ allow: ['example.test'] });
    await exchange(
      p.port,
      'CONNECT example.test:443 HTTP/1.1\r\n\r\n',
      Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    );
    expect(p.dial).not.toHaveBeenCalled();
  });

  it('answers a refused CONNECT on 443 with 403', async () => {
    const p = await proxy({ allow: ['example.test'] });
    const reply = (await exchange(p.port, 'CONNECT evil.test:443 HTTP/1.1\r\n\r\n')).toString();
    expect(reply).toMatch(/^HTTP\/1.1 403/);
    expect(reply).toContain('--allow-host evil.test');
  });

  it('names the rule and the fix in the status line, which clients that hide the body quote', async () => {
    const p = await proxy({ allow: ['example.test'] });
    const reply = (await exchange(p.port, 'CONNECT evil.test:443 HTTP/1.1\r\n\r\n')).toString();
    expect(reply.split('\r\n')[0]).toBe(
      'HTTP/1.1 403 Forbidden by mcp-warden (network.host-not-allowed): allow it with --allow-host evil.test',
    );
  });

  it('ends a refused tunnel on another port at its TLS ClientHello at once, dialling nothing', async () => {
    const p = await proxy({ allow: ['example.test'] });
    const hello = await captureClientHello('evil.test');
    const started = performance.now();
    const reply = (await exchange(p.port, 'CONNECT evil.test:8443 HTTP/1.1\r\n\r\n', hello)).toString();
    expect(reply).toContain('200 Connection Established');
    expect(reply).not.toContain('hello');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(p.dial).not.toHaveBeenCalled();
  });
});

describe('EgressProxy, SOCKS5', () => {
  const socksConnect = (host: string, port: number) =>
    Buffer.concat([
      Buffer.from([5, 1, 0, 5, 1, 0, 3, host.length]),
      Buffer.from(host),
      Buffer.from([port >> 8, port & 0xff]),
    ]);

  it('resolves names at the proxy and relays an allowed connection', async () => {
    const o = await origin();
    const p = await proxy({ allow: [`example.test:${o.port}`] });
    const reply = await exchange(
      p.port,
      socksConnect('example.test', o.port),
      `GET / HTTP/1.1\r\nHost: example.test:${o.port}\r\n\r\n`,
    );
    expect(reply.subarray(0, 4)).toEqual(Buffer.from([5, 0, 5, 0]));
    expect(reply.toString('latin1')).toContain('hello from');
  });

  it('refuses a name not allowed with reply 2, without dialling', async () => {
    const p = await proxy({ allow: ['example.test'] });
    const reply = await exchange(p.port, socksConnect('evil.test', 443));
    expect(reply.subarray(0, 4)).toEqual(Buffer.from([5, 0, 5, 2]));
    expect(p.dial).not.toHaveBeenCalled();
  });
});

describe('EgressProxy, limits', () => {
  it('cuts a connection past maxBytesOut', async () => {
    const sink = net.createServer((socket) => socket.resume());
    const port = await listen(sink);
    const p = await proxy({ allow: [`example.test:${port}`], maxBytesOut: 1000 });
    const head = `POST http://example.test:${port}/ HTTP/1.1\r\nHost: example.test:${port}\r\nContent-Length: 5000\r\n\r\n`;
    await exchange(p.port, head + 'x'.repeat(5000));
    await waitForEvents(p.events, 1);
    expect(p.events[0]).toMatchObject({ verdict: 'cut', rule: 'network.limit' });
    expect(p.events[0]!.bytesOut).toBeLessThanOrEqual(1000);
  });

  it('refuses connections past maxConnections', async () => {
    const sink = net.createServer(() => undefined);
    const port = await listen(sink);
    const p = await proxy({ allow: [`example.test:${port}`], maxConnections: 1 });
    const held = net.connect({ host: '127.0.0.1', port: p.port });
    held.write(`CONNECT example.test:${port} HTTP/1.1\r\n\r\n`);
    await new Promise((r) => held.once('data', r));
    const reply = (
      await exchange(
        p.port,
        `GET http://example.test:${port}/ HTTP/1.1\r\nHost: example.test:${port}\r\n\r\n`,
      )
    ).toString();
    held.destroy();
    expect(reply).toContain('network.limit');
  });
});
