// Worker thread of bench/egress.ts: the client (the sandboxed server's side), on raw sockets so the
// client's own cost is the same small constant on both paths. Every task alternates direct and
// proxied requests one by one (direct, proxied, direct, ...), so drift on a shared machine hits both.
// Answers each task message with { direct, proxied } milliseconds per request, or { direct, bare,
// proxied } MB/s per download.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { parentPort } from 'node:worker_threads';

/** Where to send requests: the origin directly, or the relay (127.0.0.1:PORT, as inside a sandbox). */
export interface Endpoints {
  host: string;
  httpPort: number;
  httpsPort: number;
  relayPort: number;
  /**
   * Reference path for downloads, naive forwarding of the same shape: another relay-main child whose
   * unix socket leads to a bare pipe() (no proxy logic) to the origin's HTTP / HTTPS port.
   */
  bareHttpPort: number;
  bareHttpsPort: number;
  ca?: string;
}

/**
 * Latency modes. keep-alive: one open connection per path, N requests on it (through a CONNECT
 * tunnel, as Node's fetch does with NODE_USE_ENV_PROXY). fresh-plain / fresh-connect: a new
 * connection per request, `Connection: close`; proxied as an absolute-form request (curl, Python
 * requests for http:// URLs) or as a new CONNECT tunnel each time. Times include connection setup.
 */
export type LatencyMode = 'keep-alive' | 'fresh-plain' | 'fresh-connect';

/** Download paths: plain-HTTP forwarding, plain HTTP in a CONNECT tunnel, TLS in a CONNECT tunnel. */
export type DownloadMode = 'http-plain' | 'http-connect' | 'https-connect';

export type ClientTask =
  | { task: 'latency'; mode: LatencyMode; count: number; warmup: number; at: Endpoints }
  | { task: 'download'; mode: DownloadMode; bytes: number; rounds: number; at: Endpoints };

interface Response {
  status: number;
  body: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Read one response (Content-Length framed; none: no body) from a socket nothing else reads. */
function readResponse(socket: Duplex): Promise<Response> {
  return new Promise((resolve, reject) => {
    let head: Buffer | undefined = Buffer.alloc(0);
    let status = 0;
    let want = 0;
    let body = 0;
    const done = (error?: Error): void => {
      socket.off('data', onData);
      socket.off('error', done);
      socket.off('end', onEnd);
      if (error) reject(error);
      else resolve({ status, body });
    };
    const onEnd = (): void => done(new Error(`connection closed after ${body} of ${want} body bytes`));
    const onData = (chunk: Buffer): void => {
      if (head === undefined) body += chunk.length;
      else {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = head.indexOf(HEAD_END);
        if (end < 0) return;
        const text = head.subarray(0, end).toString('latin1');
        status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
        want = Number(/\r\ncontent-length: *(\d+)/i.exec(text)?.[1] ?? 0);
        body = head.length - end - HEAD_END.length;
        head = undefined;
      }
      if (body > want) done(new Error(`${body - want} bytes after the response`));
      else if (body === want) done();
    };
    socket.on('data', onData);
    socket.once('error', done);
    socket.once('end', onEnd);
  });
}

async function exchange(socket: Duplex, request: string): Promise<Response> {
  const reply = readResponse(socket);
  socket.write(request);
  const response = await reply;
  if (response.status !== 200) throw new Error(`HTTP ${response.status} for ${request.split('\r\n')[0]}`);
  return response;
}

function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A CONNECT tunnel to host:port through the relay. */
async function tunnel(at: Endpoints, port: number): Promise<net.Socket> {
  const socket = await dial(at.relayPort);
  const authority = `${at.host}:${port}`;
  await exchange(socket, `CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`);
  return socket;
}

/** TLS for at.host over an open connection (to the origin, or a tunnel to it). */
function startTls(at: Endpoints, socket: net.Socket): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket, servername: at.host, ca: at.ca });
    secure.once('secureConnect', () => resolve(secure));
    secure.once('error', reject);
  });
}

function get(at: Endpoints, port: number, path: string, close: boolean, absolute = false): string {
  const authority = `${at.host}:${port}`;
  const target = absolute ? `http://${authority}${path}` : path;
  return `GET ${target} HTTP/1.1\r\nhost: ${authority}\r\n${close ? 'connection: close\r\n' : ''}\r\n`;
}

async function latency(mode: LatencyMode, count: number, warmup: number, at: Endpoints) {
  const direct: number[] = [];
  const proxied: number[] = [];
  const port = at.httpPort;
  if (mode === 'keep-alive') {
    const sockets = [await dial(port), await tunnel(at, port)] as const;
    const request = get(at, port, '/small', false);
    for (let i = 0; i < warmup + count; i++)
      for (const [which, socket] of sockets.entries()) {
        const start = performance.now();
        await exchange(socket, request);
        if (i >= warmup) (which === 0 ? direct : proxied).push(performance.now() - start);
      }
    for (const socket of sockets) socket.destroy();
    return { direct, proxied };
  }
  const once = async (proxy: boolean): Promise<void> => {
    if (!proxy) {
      const socket = await dial(port);
      await exchange(socket, get(at, port, '/small', true));
      socket.destroy();
    } else if (mode === 'fresh-plain') {
      const socket = await dial(at.relayPort);
      await exchange(socket, get(at, port, '/small', true, true));
      socket.destroy();
    } else {
      const socket = await tunnel(at, port);
      await exchange(socket, get(at, port, '/small', true));
      socket.destroy();
    }
  };
  for (let i = 0; i < warmup + count; i++)
    for (const proxy of [false, true]) {
      const start = performance.now();
      await once(proxy);
      if (i >= warmup) (proxy ? proxied : direct).push(performance.now() - start);
    }
  return { direct, proxied };
}

type Path = 'direct' | 'bare' | 'proxied';

async function download(mode: DownloadMode, bytes: number, rounds: number, at: Endpoints) {
  const result: Record<Path, number[]> = { direct: [], bare: [], proxied: [] };
  const secure = mode === 'https-connect';
  const port = secure ? at.httpsPort : at.httpPort;
  const path = `/bytes/${bytes}`;
  const once = async (way: Path): Promise<void> => {
    let socket: Duplex;
    const absolute = way === 'proxied' && mode === 'http-plain';
    if (way !== 'proxied') {
      const target = way === 'direct' ? port : secure ? at.bareHttpsPort : at.bareHttpPort;
      socket = secure ? await startTls(at, await dial(target)) : await dial(target);
    } else if (mode === 'http-plain') socket = await dial(at.relayPort);
    else {
      const raw = await tunnel(at, port);
      socket = secure ? await startTls(at, raw) : raw;
    }
    const response = await exchange(socket, get(at, port, path, true, absolute));
    socket.destroy();
    if (response.body !== bytes) throw new Error(`got ${response.body} of ${bytes} bytes`);
  };
  const ways: Path[] = ['direct', 'bare', 'proxied'];
  // One warm-up each (JIT, TCP buffers), then alternate.
  for (const way of ways) await once(way);
  for (let i = 0; i < rounds; i++)
    for (const way of ways) {
      const start = performance.now();
      await once(way);
      result[way].push(bytes / 1e6 / ((performance.now() - start) / 1000));
    }
  return result;
}

parentPort?.on('message', (task: ClientTask | 'close') => {
  if (task === 'close') {
    parentPort?.close();
    return;
  }
  const run =
    task.task === 'latency'
      ? latency(task.mode, task.count, task.warmup, task.at)
      : download(task.mode, task.bytes, task.rounds, task.at);
  run.then(
    (result) => parentPort?.postMessage(result),
    (error: unknown) => parentPort?.postMessage({ error: (error as Error).message }),
  );
});
