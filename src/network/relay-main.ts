// The relay inside the sandbox, run by the warden's own node before the server:
//   node relay-main SOCKET -- PROGRAM [ARGS...]
// It opens a listener on 127.0.0.1 (an ephemeral port), sets the proxy variables to it, then replaces
// itself with the server (execve): the server keeps this process's pid, so the lifecycle ladder and
// the backend's exit handling see the server itself. Two ways, by what the launcher gave it:
// - handoff (an IPC channel from the warden: bwrap, none): the listener is sent to the warden over the
//   channel, whose proxy accepts the connections itself; the channel and this process's copy of the
//   listener are closed before the server runs. No relay process stays, no byte is copied twice.
// - relay (no channel: docker, gvisor, where no descriptor can cross to the host): a child (`--serve`)
//   listens and pipes each TCP connection to the proxy's unix socket. It exits as soon as its parent
//   changes (the server exited; in a pid namespace the namespace's end kills it anyway).
// Self-contained on purpose (node built-ins only): it is mounted read-only, alone, into the sandbox.
import { spawn } from 'node:child_process';
import { type Socket, connect, createServer } from 'node:net';

const PARENT_POLL_MS = 250;
/** Bytes per read from the proxy's socket (one reused buffer per connection). */
const READ_BYTES = 256 * 1024;
/** Bytes queued towards the proxy before reading from the client pauses. */
const MAX_QUEUED_BYTES = 256 * 1024;
/** Read buffers of closed connections that no write refers to any more, for the next ones. */
const spareBuffers: Buffer[] = [];
const MAX_SPARE_BUFFERS = 8;

/**
 * Pipe one client connection to the proxy's socket, both ways. The hot direction (the proxy towards
 * the client: downloads) reads into one reused buffer and writes it as is, stopping reads while a
 * write is queued (the next read would overwrite it): no allocation and no copy per chunk. The other
 * direction pauses only past MAX_QUEUED_BYTES, not at every chunk (the 16 KiB highWaterMark is below
 * one 64 KiB read).
 */
function relayConnection(client: Socket, socketPath: string): void {
  const buffer = spareBuffers.pop() ?? Buffer.allocUnsafe(READ_BYTES);
  let writes = 0;
  let waitingFor = -1;
  let pending = 0;
  let closed = false;
  let released = false;
  const release = (): void => {
    if (!closed || pending > 0 || released) return;
    released = true;
    if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(buffer);
  };
  const upstream = connect({
    path: socketPath,
    allowHalfOpen: true,
    onread: {
      buffer,
      callback: (length) => {
        if (client.destroyed) {
          upstream.destroy();
          return false;
        }
        const id = ++writes;
        pending++;
        client.write(buffer.subarray(0, length), () => {
          if (--pending === 0) release();
          if (waitingFor !== id) return;
          waitingFor = -1;
          upstream.resume();
        });
        if (client.writableLength === 0) return true;
        waitingFor = id;
        return false;
      },
    },
  });
  client.on('data', (chunk: Buffer) => {
    upstream.write(chunk);
    if (upstream.writableLength > MAX_QUEUED_BYTES) client.pause();
  });
  upstream.on('drain', () => client.resume());
  client.on('end', () => upstream.end());
  upstream.on('end', () => client.end());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  // A side closing after its 'end' leaves the other to flush what is queued; without one, both end.
  client.on('close', () => {
    if (!upstream.writableEnded) upstream.destroy();
  });
  upstream.on('close', () => {
    if (!client.writableEnded) client.destroy();
    closed = true;
    release();
  });
}

function serve(socketPath: string): void {
  const parent = process.ppid;
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) =>
    relayConnection(client, socketPath),
  );
  server.on('error', (error) => {
    process.stderr.write(`mcp-warden relay: ${error.message}\n`);
    process.exit(1);
  });
  server.listen({ host: '127.0.0.1', port: 0 }, () => {
    const address = server.address();
    // The relay's child reports its port to the relay over a pipe, before the server runs.
    process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`); // stdout-ok
  });
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, PARENT_POLL_MS).unref();
  // The interval is unref'd: the listener alone keeps the relay alive.
}

/** The message the listener travels with (listener-handoff.ts's HANDOFF_MESSAGE; this file imports nothing). */
const HANDOFF_MESSAGE = 'mcp-warden-egress-listener';

/** Set the proxy variables to 127.0.0.1:`port` and replace this process with the server. */
function execServer(command: string[], port: number): never {
  const program = command[0] as string;
  const proxy = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  Object.assign(env, {
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    // The HTTP form, not socks5h://: httpx (the mcp Python SDK's client) reads ALL_PROXY and cannot
    // even create a client for a SOCKS URL without the optional socksio package. The proxy still
    // speaks SOCKS5 on the same port for a server configured to use it.
    ALL_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
    all_proxy: proxy,
    NO_PROXY: '',
    no_proxy: '',
    NODE_USE_ENV_PROXY: '1',
  });
  if (typeof process.execve !== 'function') {
    process.stderr.write('mcp-warden relay: this node has no process.execve (needs Node >= 22.15)\n');
    process.exit(1);
  }
  process.execve(program, command, env);
  process.exit(1);
}

/**
 * Handoff: listen, send the listener to the warden, close the channel and this copy, then run the
 * server. The server never holds the channel: it is closed (its 'disconnect') before the execve.
 */
function handOff(socketPath: string, command: string[]): void {
  const send = process.send?.bind(process);
  const server = createServer();
  server.on('error', (error) => {
    process.stderr.write(`mcp-warden relay: ${error.message}\n`);
    process.exit(1);
  });
  server.listen({ host: '127.0.0.1', port: 0 }, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    if (!(port > 0) || send === undefined) process.exit(1);
    send({ kind: HANDOFF_MESSAGE, socketPath, port }, server, (error: Error | null) => {
      if (error) {
        process.stderr.write(
          `mcp-warden relay: could not hand the listener to the warden: ${error.message}\n`,
        );
        process.exit(1);
      }
      process.once('disconnect', () => server.close(() => execServer(command, port)));
      process.disconnect();
    });
  });
}

function launch(socketPath: string, command: string[]): void {
  if (command[0] === undefined) {
    process.stderr.write('usage: relay-main SOCKET -- PROGRAM [ARGS...]\n');
    process.exit(2);
  }
  if (process.send !== undefined) {
    handOff(socketPath, command);
    return;
  }
  const child = spawn(process.execPath, ['--no-warnings', process.argv[1] ?? '', '--serve', socketPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // The same environment: a backend that finds leftovers by a marker variable finds the relay too.
    env: process.env,
  });
  let text = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    text += chunk;
    if (!text.includes('\n')) return;
    const port = Number.parseInt(text, 10);
    child.stdout.destroy();
    if (!(port > 0)) process.exit(1);
    execServer(command, port);
  });
  child.on('exit', (code) => {
    process.stderr.write(`mcp-warden relay: could not start (exit ${code})\n`);
    process.exit(1);
  });
}

const [first, second, ...rest] = process.argv.slice(2);
if (first === '--serve' && second !== undefined) serve(second);
else if (first !== undefined && second === '--') launch(first, rest);
else {
  process.stderr.write('usage: relay-main SOCKET -- PROGRAM [ARGS...]\n');
  process.exit(2);
}
