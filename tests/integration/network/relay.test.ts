import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RELAY_ENTRY } from '../../../src/network/egress-launch.ts';

// The real relay child (`relay-main --serve SOCKET`), loopback only: a TCP client on its port, a
// unix-socket server standing in for the proxy. The relay reads the proxy's side into one reused
// buffer per connection and writes it without copying; these check every byte arrives intact under
// a reader slow enough that the relay's writes queue, and that uploads arrive intact too.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A unix-socket stand-in for the proxy: `answer` gets each connection. */
async function proxyStandIn(answer: (socket: net.Socket) => void): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-relay-test-'));
  const socketPath = path.join(dir, 'proxy.sock');
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => undefined);
    answer(socket);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  cleanups.push(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  return socketPath;
}

/** Start the relay on `socketPath`; resolves with its TCP port. Killed (and awaited) after the test. */
async function startRelay(socketPath: string): Promise<number> {
  const child: ChildProcess = spawn(process.execPath, ['--no-warnings', RELAY_ENTRY, '--serve', socketPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanups.push(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(Number.parseInt(text, 10));
    });
    void exited.then(() => reject(new Error('the relay exited')));
  });
}

/** Send `request`, read nothing for a while (the relay's writes queue), then read slowly to the end. */
function slowRead(port: number, request: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.pause();
    setTimeout(() => socket.resume(), 300);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      socket.pause();
      setTimeout(() => socket.resume(), 1);
    });
    socket.once('end', () => {
      socket.end();
      resolve(Buffer.concat(chunks));
    });
    socket.once('error', reject);
    socket.write(request);
  });
}

describe('relay-main --serve', () => {
  it('relays a large answer intact to a slow reader, connections side by side and one after another', async () => {
    const payloads = [0, 1, 2].map(() => randomBytes(12 * 1024 * 1024 + 321));
    const socketPath = await proxyStandIn((socket) => {
      // The first byte the client sends says which payload it wants.
      socket.once('data', (chunk: Buffer) => socket.end(payloads[chunk[0]!]!));
    });
    const port = await startRelay(socketPath);
    for (let round = 0; round < 2; round++) {
      const got = await Promise.all(payloads.map((_, i) => slowRead(port, Buffer.from([i]))));
      got.forEach((data, i) => {
        expect(data.length).toBe(payloads[i]!.length);
        expect(sha(data)).toBe(sha(payloads[i]!));
      });
    }
  }, 60_000);

  it('relays a large upload intact', async () => {
    const upload = randomBytes(16 * 1024 * 1024);
    const received = new Promise<Buffer>((resolve) => {
      void proxyStandIn((socket) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.once('end', () => {
          const all = Buffer.concat(chunks);
          socket.end(sha(all));
          resolve(all);
        });
      }).then(async (socketPath) => {
        const port = await startRelay(socketPath);
        const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
        socket.on('error', () => undefined);
        socket.resume();
        socket.end(upload);
        cleanups.push(() => socket.destroy());
      });
    });
    expect(sha(await received)).toBe(sha(upload));
  }, 60_000);
});
