// The client side of the egress proxy that the isolate's host uses (proxy-client.ts), against a real
// EgressProxy on a unix socket; every name is mapped to 127.0.0.1 and the origin counts connections.
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileEgressPolicy } from '../../../src/network/egress-policy.ts';
import { EgressProxy } from '../../../src/network/egress-proxy.ts';
import {
  PLAIN_REFUSAL_HEADER,
  ProxyError,
  dialProxy,
  openTunnel,
  parseResponseHead,
} from '../../../src/network/proxy-client.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

const closers: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('parseResponseHead', () => {
  it('parses a status line and headers, and says where the body starts', () => {
    const data = Buffer.from('HTTP/1.1 403 Forbidden by rule\r\nContent-Length: 3\r\nX-A:  b \r\n\r\nabc');
    expect(parseResponseHead(data)).toEqual({
      status: 'ok',
      head: {
        status: 403,
        statusText: 'Forbidden by rule',
        headers: [
          ['content-length', '3'],
          ['x-a', 'b'],
        ],
        length: data.length - 3,
      },
    });
  });
  it('asks for more, and refuses garbage and oversized heads', () => {
    expect(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\n'))).toEqual({ status: 'more' });
    expect(parseResponseHead(Buffer.from('SSH-2.0-x\r\n\r\n'))).toMatchObject({ status: 'bad' });
    expect(parseResponseHead(Buffer.alloc(17 * 1024, 'a'))).toMatchObject({ status: 'bad' });
  });
});

async function setup() {
  let connections = 0;
  const origin = net.createServer((socket) => {
    connections++;
    socket.on('error', () => undefined);
    socket.on('data', () => socket.end('pong'));
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => origin.close(resolve)));
  const port = (origin.address() as net.AddressInfo).port;
  const compiled = compileEgressPolicy({
    allow: [`allowed.test:${port}`],
    deny: [],
    allowPrivate: true,
    maxConnections: 32,
    onDeny: 'deny',
    resolve: { 'allowed.test': '127.0.0.1', 'evil.test': '127.0.0.1' },
  });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  const proxy = new EgressProxy({ policy: compiled.policy, onEvent: () => undefined, hostAddresses: [] });
  const dir = tmpRoot('proxy-client');
  mkdirSync(path.join(dir, 's'));
  const socketPath = path.join(dir, 's', 'proxy.sock');
  await proxy.listen(socketPath);
  closers.push(() => proxy.close());
  return { port, socketPath, connections: () => connections };
}

describe('openTunnel', () => {
  it('returns the tunnel once the proxy allowed it (port named explicitly: raw bytes pass)', async () => {
    const s = await setup();
    const tunnel = await openTunnel(s.socketPath, `allowed.test:${s.port}`, 5000);
    tunnel.write('ping');
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      tunnel.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      tunnel.on('close', () => resolve(text));
      tunnel.resume();
    });
    expect(reply).toBe('pong');
    expect(s.connections()).toBe(1);
  });

  it('rejects a refused CONNECT on any port with the proxy’s explanation; nothing is dialled', async () => {
    const s = await setup();
    const error = await openTunnel(s.socketPath, `evil.test:${s.port}`, 5000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProxyError);
    expect(error).toMatchObject({ code: 'ERR_WARDEN_EGRESS_REFUSED', status: 403 });
    expect((error as Error).message).toContain('network.host-not-allowed');
    expect((error as Error).message).toContain(`--allow-host evil.test:${s.port}`);
    expect(s.connections()).toBe(0);
  });

  it('the plain-refusal header is what makes the proxy answer 403 on a port other than 443', async () => {
    const s = await setup();
    const ask = async (extra: string): Promise<string> => {
      const socket = await dialProxy(s.socketPath);
      socket.write(`CONNECT evil.test:${s.port} HTTP/1.1\r\nHost: evil.test:${s.port}\r\n${extra}\r\n`);
      return new Promise((resolve) => {
        let text = '';
        socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
        socket.on('close', () => resolve(text));
        setTimeout(() => socket.destroy(), 3000).unref();
      });
    };
    // Without it the proxy accepts the tunnel (for Node's fetch) and waits for an HTTP request inside.
    expect(await ask('')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await ask(`${PLAIN_REFUSAL_HEADER}: 403\r\n`)).toMatch(/^HTTP\/1\.1 403 /);
    expect(s.connections()).toBe(0);
  });

  it('refuses a malformed authority before connecting, and reports a missing proxy', async () => {
    await expect(openTunnel('/nonexistent/proxy.sock', 'a.test:1\r\nX: y', 1000)).rejects.toThrow(
      /not a host:port/,
    );
    await expect(openTunnel('/nonexistent/proxy.sock', 'a.test:443', 1000)).rejects.toMatchObject({
      code: 'ERR_WARDEN_EGRESS_PROXY',
    });
  });
});
