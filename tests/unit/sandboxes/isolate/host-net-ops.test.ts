// The host side of the isolate's network (host-net-ops.ts, host-net-request.ts), driven directly: what the guest may ask
// for, that the only thing ever dialled is the proxy socket (a recording stand-in proxy and a counting
// loopback origin prove it), flow control bounds what the host holds, and abort closes the connection.
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IN_TRANSIT_BYTES,
  type NetEvent,
  createNetOps,
} from '../../../../src/sandboxes/isolate/host-net-ops.ts';
import { parseRequestSpec } from '../../../../src/sandboxes/isolate/host-net-request.ts';
import { tmpRoot } from '../../../helpers/tmp-root.ts';

const closers: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const spec = (over: Record<string, unknown> = {}) => ({
  protocol: 'http:',
  hostname: 'api.example.test',
  port: 80,
  path: '/',
  method: 'GET',
  headers: [],
  body: null,
  decompress: false,
  ...over,
});

describe('parseRequestSpec', () => {
  it('accepts names, IPv4 and bracketed IPv6, and keeps the path as given', () => {
    expect(parseRequestSpec(spec({ path: '/a/../b?q=1' })).path).toBe('/a/../b?q=1');
    expect(parseRequestSpec(spec({ hostname: '[::1]' })).hostname).toBe('::1');
    expect(parseRequestSpec(spec({ hostname: '10.0.0.1', protocol: 'https:' })).protocol).toBe('https:');
  });

  it.each([
    ['a scheme other than http/https', { protocol: 'file:' }, /only http: and https:/],
    ['CR/LF in the host', { hostname: 'a.test\r\nX: 1' }, /not a valid host name/],
    ['user info in the host', { hostname: 'user@a.test' }, /not a valid host name/],
    ['a slash in the host', { hostname: 'a.test/x' }, /not a valid host name/],
    ['a port out of range', { port: 70000 }, /not a valid port/],
    ['a space in the path', { path: '/a b' }, /unescaped characters/],
    ['CR/LF in the path', { path: '/a\r\nHost: evil' }, /unescaped characters/],
    ['a path not starting with /', { path: 'http://evil.test/' }, /unescaped characters/],
    ['a method that is not a token', { method: 'GET /evil' }, /not a valid HTTP method/],
    ['CONNECT', { method: 'connect' }, /CONNECT tunnels are not available/],
    ['CR/LF in a header value', { headers: [['x-a', 'b\r\nHost: evil']] }, /Invalid character/],
    ['a header name that is not a token', { headers: [['x a', 'b']] }, /valid HTTP token/],
    ['a body that is not bytes', { body: 'text' }, /must be bytes/],
  ])('refuses %s', (_what, over, message) => {
    expect(() => parseRequestSpec(spec(over))).toThrow(message);
  });
});

/** A stand-in proxy on a unix socket: records what arrives and answers with `answer(head)`. */
async function fakeProxy(answer: (head: string, socket: net.Socket) => void) {
  const dir = tmpRoot('fake-proxy');
  mkdirSync(path.join(dir, 's'));
  const socketPath = path.join(dir, 's', 'proxy.sock');
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let data = '';
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (!data.includes('\r\n\r\n') || received.includes(data)) return;
      received.push(data);
      answer(data, socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(resolve);
      }),
  );
  return { socketPath, received, sockets };
}

/** A loopback origin that counts every connection it accepts. */
async function countingOrigin() {
  let connections = 0;
  const server = http.createServer((_req, res) => res.end('origin'));
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections };
}

function ops(
  socketPath: string | undefined,
  toGuest: (kind: string, payload: unknown) => Promise<unknown> | void,
) {
  return createNetOps({ socketPath, toGuest, extraCa: () => undefined, maxBodyBytes: 1 << 20 });
}

const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  for (let waited = 0; waited < ms && !check(); waited += 10) await new Promise((r) => setTimeout(r, 10));
};

describe('createNetOps', () => {
  it('dials only the proxy socket: plain HTTP in absolute form, HTTPS as CONNECT; the origin gets nothing', async () => {
    const origin = await countingOrigin();
    const body = 'refused by the stand-in proxy\n';
    const proxy = await fakeProxy((_head, socket) =>
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      ),
    );
    const events: NetEvent[] = [];
    const net_ = ops(proxy.socketPath, (_kind, payload) => void events.push(payload as NetEvent));
    net_['net.request']!(1, spec({ hostname: '127.0.0.1', port: origin.port, path: '/x?y' }));
    net_['net.request']!(2, spec({ protocol: 'https:', hostname: '127.0.0.1', port: origin.port }));
    await until(
      () => events.some((e) => e.id === 1 && e.type === 'response') && events.some((e) => e.id === 2),
    );
    net_['net.flow']!(1, true);
    await until(() => events.some((e) => e.id === 1 && e.type === 'end'));
    expect(proxy.received.find((r) => r.startsWith('GET '))).toMatch(
      new RegExp(`^GET http://127\\.0\\.0\\.1:${origin.port}/x\\?y HTTP/1\\.1\\r\\n`),
    );
    expect(proxy.received.find((r) => r.startsWith('CONNECT '))).toMatch(
      new RegExp(`^CONNECT 127\\.0\\.0\\.1:${origin.port} HTTP/1\\.1\\r\\n`),
    );
    expect(events.find((e) => e.id === 1 && e.type === 'response')).toMatchObject({ status: 403 });
    expect(events.find((e) => e.id === 2)).toMatchObject({
      type: 'error',
      code: 'ERR_WARDEN_EGRESS_REFUSED',
      message: body.trim(),
    });
    expect(origin.connections()).toBe(0);
  });

  it('says there is no network, and refuses every request, without a proxy socket', () => {
    const net_ = ops(undefined, () => undefined);
    expect(net_['net.info']!()).toMatchObject({ enabled: false });
    expect(() => net_['net.request']!(1, spec())).toThrow(/no network/);
  });

  it('reports an unreachable proxy as a clear error', async () => {
    const events: NetEvent[] = [];
    const net_ = ops(
      path.join(tmpRoot('no-proxy'), 'missing.sock'),
      (_k, p) => void events.push(p as NetEvent),
    );
    net_['net.request']!(1, spec());
    await until(() => events.length > 0);
    expect(events[0]).toMatchObject({ type: 'error', code: 'ERR_WARDEN_EGRESS_PROXY' });
    expect((events[0] as { message: string }).message).toMatch(/cannot reach the warden's egress proxy/);
  });

  it('holds at most IN_TRANSIT_BYTES a slow guest has not taken, and sends nothing while the guest pauses', async () => {
    const total = 64 * 1024 * 1024;
    let written = 0;
    const proxy = await fakeProxy((_head, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      const block = Buffer.alloc(64 * 1024, 'x');
      const more = (): void => {
        while (written < total && !socket.destroyed) {
          written += block.length;
          if (!socket.write(block)) return void socket.once('drain', more);
        }
      };
      more();
    });
    const sizes: number[] = [];
    const pending: Array<() => void> = [];
    const events: NetEvent[] = [];
    const net_ = ops(proxy.socketPath, (_kind, payload) => {
      const event = payload as NetEvent;
      events.push(event);
      if (event.type !== 'data') return;
      sizes.push(event.chunk.byteLength);
      // A guest that does not finish handling a chunk until the test releases it.
      return new Promise<void>((resolve) => pending.push(resolve));
    });
    const delivered = (): number => sizes.reduce((a, b) => a + b, 0);
    net_['net.request']!(7, spec());
    await until(() => events.some((e) => e.type === 'response'));
    // Paused until the guest asks for the body.
    await new Promise((r) => setTimeout(r, 200));
    expect(delivered()).toBe(0);
    net_['net.flow']!(7, true);
    await until(() => sizes.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    // One event in flight; the host read on until it held IN_TRANSIT_BYTES, then stopped, and the
    // backpressure reached the sender: far less than the body left it.
    expect(sizes).toHaveLength(1);
    expect(written).toBeLessThan(total / 4);
    // As the guest takes each event, the next carries what the host held meanwhile: never more.
    for (let round = 0; round < 8; round++) {
      const release = pending.shift();
      release?.();
      await until(() => pending.length > 0);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(sizes.length).toBeGreaterThan(4);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(IN_TRANSIT_BYTES + 64 * 1024);
    expect(Math.max(...sizes)).toBeGreaterThan(64 * 1024);
    expect(written).toBeLessThan(total / 2);
    // The guest pauses: nothing more is sent to it, however fast it takes what it has.
    net_['net.flow']!(7, false);
    for (const release of pending.splice(0)) release();
    // (What the host had already read is still delivered, once.)
    await new Promise((r) => setTimeout(r, 200));
    const paused = sizes.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(sizes.length).toBe(paused);
    net_['net.abort']!(7);
    await until(() => proxy.sockets.size === 0);
    expect(proxy.sockets.size).toBe(0);
    for (const release of pending.splice(0)) release();
  });
});
