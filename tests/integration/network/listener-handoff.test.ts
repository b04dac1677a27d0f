// The relay's listener handoff (bwrap, none): relay-main, started over an IPC channel the way
// spawnSandboxProcess starts it, sends its 127.0.0.1 listener to the warden, closes the channel and
// replaces itself with the server; the warden gives the listener to the proxy registered for the socket
// and closes the channel after the first message, whatever the child sends. Loopback only.
import { mkdtempSync, rmSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RELAY_ENTRY } from '../../../src/network/egress-launch.ts';
import { acceptHandoffs } from '../../../src/network/listener-handoff.ts';
import { spawnSandboxProcess } from '../../../src/sandboxes/process/spawn-sandbox-process.ts';
import type { Sandbox } from '../../../src/sandboxes/types.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A socket path nobody listens on (the handoff registry is keyed by it). */
function socketPath(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-handoff-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'proxy.sock');
}

async function launch(argv: string[], socket: string): Promise<Sandbox & { output: () => string }> {
  const sandbox = await spawnSandboxProcess(argv, { PATH: process.env.PATH ?? '' }, os.tmpdir(), {
    handoff: { socketPath: socket },
  });
  let output = '';
  sandbox.stdout.setEncoding('utf8');
  sandbox.stdout.on('data', (chunk: string) => void (output += chunk));
  cleanups.push(() => sandbox.stop({ graceful: false }));
  return Object.assign(sandbox, { output: () => output });
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// The "server" the relay execs: reports its pid, the proxy variables, the channel variable and the
// sockets it inherited above stderr, then a request's answer through HTTP_PROXY.
const SERVER = `
const fs = require('node:fs');
const sockets = fs.readdirSync('/proc/self/fd').filter((fd) => Number(fd) > 2)
  .filter((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd).startsWith('socket:'); } catch { return false; } });
const port = Number(new URL(process.env.HTTP_PROXY).port);
const socket = require('node:net').connect({ host: '127.0.0.1', port }, () => socket.write('ping'));
socket.setEncoding('utf8');
socket.on('data', (answer) => {
  process.stdout.write(JSON.stringify({ pid: process.pid, proxy: process.env.HTTP_PROXY, channel: process.env.NODE_CHANNEL_FD ?? null, sockets, answer }) + '\\n');
  socket.end();
});
`;

describe('listener handoff', () => {
  it('relay-main hands its listener to the registered proxy and becomes the server, which inherits no channel', async () => {
    const socket = socketPath();
    const accepted: string[] = [];
    let listener: net.Server | undefined;
    const stop = acceptHandoffs(socket, (server) => {
      listener = server;
      server.on('connection', (client) => {
        client.setEncoding('utf8');
        client.on('data', (data: string) => {
          accepted.push(data);
          client.end('pong');
        });
      });
    });
    cleanups.push(() => {
      stop();
      listener?.close();
    });
    const sandbox = await launch(
      [process.execPath, '--no-warnings', RELAY_ENTRY, socket, '--', process.execPath, '-e', SERVER],
      socket,
    );
    await until(() => sandbox.output().includes('\n'), 'the server’s report');
    const report = JSON.parse(sandbox.output()) as Record<string, unknown>;
    expect(report).toMatchObject({ pid: sandbox.pid, channel: null, sockets: [], answer: 'pong' });
    expect(report.proxy).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(accepted).toEqual(['ping']);
    expect(listener?.listening).toBe(true);
  }, 20_000);

  it('closes a listener no proxy is registered for: the server is refused, never left hanging', async () => {
    const socket = socketPath();
    const script = `
      const port = Number(new URL(process.env.HTTP_PROXY).port);
      const s = require('node:net').connect({ host: '127.0.0.1', port });
      s.on('connect', () => process.stdout.write('connected\\n'));
      s.on('error', (e) => process.stdout.write(e.code + '\\n'));`;
    const sandbox = await launch(
      [process.execPath, '--no-warnings', RELAY_ENTRY, socket, '--', process.execPath, '-e', script],
      socket,
    );
    await until(() => sandbox.output().includes('\n'), 'the server’s report');
    expect(sandbox.output().trim()).toBe('ECONNREFUSED');
  }, 20_000);

  it('takes one message: the channel is closed after it, so nothing sent later reaches the warden', async () => {
    const socket = socketPath();
    const delivered: net.Server[] = [];
    const stop = acceptHandoffs(socket, (server) => delivered.push(server));
    cleanups.push(() => {
      stop();
      for (const server of delivered) server.close();
    });
    // Something other than the handoff first, then (once the first is surely read) a listener: neither
    // is taken; the child sees the warden close the channel, and its late send fails.
    const script = `
      process.on('disconnect', () => process.stdout.write('disconnected\\n'));
      process.send({ kind: 'something-else' });
      const server = require('node:net').createServer().listen(0, '127.0.0.1', () => setTimeout(() => {
        try {
          process.send({ kind: 'mcp-warden-egress-listener' }, server, (error) => {
            process.stdout.write((error ? error.code : 'sent') + '\\n');
            process.exit(0);
          });
        } catch (error) { process.stdout.write(error.code + '\\n'); process.exit(0); }
      }, 300));`;
    const sandbox = await launch([process.execPath, '-e', script], socket);
    await sandbox.exited;
    expect(sandbox.output()).toBe('disconnected\nERR_IPC_CHANNEL_CLOSED\n');
    expect(delivered).toEqual([]);
  }, 20_000);
});
