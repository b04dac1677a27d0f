// The relay inside the sandbox, run by the warden's own node before the server:
//   node relay-main SOCKET -- PROGRAM [ARGS...]
// It starts a child (`--serve`) that listens on 127.0.0.1 (an ephemeral port) and pipes each TCP
// connection to the proxy's unix socket, waits for its port, sets the proxy variables, then replaces
// itself with the server (execve): the server keeps this process's pid, so the lifecycle ladder and
// the backend's exit handling see the server itself. The child exits as soon as its parent changes
// (the server exited; in a pid namespace the namespace's end kills it anyway) or the socket is gone.
// Self-contained on purpose (node built-ins only): it is mounted read-only, alone, into the sandbox.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

const PARENT_POLL_MS = 250;

function serve(socketPath: string): void {
  const parent = process.ppid;
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ path: socketPath, allowHalfOpen: true });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
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

function launch(socketPath: string, command: string[]): void {
  const program = command[0];
  if (program === undefined) {
    process.stderr.write('usage: relay-main SOCKET -- PROGRAM [ARGS...]\n');
    process.exit(2);
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
    const proxy = `http://127.0.0.1:${port}`;
    const socks = `socks5h://127.0.0.1:${port}`;
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
    Object.assign(env, {
      HTTP_PROXY: proxy,
      HTTPS_PROXY: proxy,
      ALL_PROXY: socks,
      http_proxy: proxy,
      https_proxy: proxy,
      all_proxy: socks,
      NO_PROXY: '',
      no_proxy: '',
      NODE_USE_ENV_PROXY: '1',
    });
    if (typeof process.execve !== 'function') {
      process.stderr.write('mcp-warden relay: this node has no process.execve (needs Node >= 22.15)\n');
      process.exit(1);
    }
    process.execve(program, command, env);
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
