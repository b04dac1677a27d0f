// Worker thread of bench/egress.ts: the loopback origin (its own thread, as a remote server would be
// its own machine). Plain HTTP and, when given a key pair, HTTPS, both keep-alive by default (a client
// sending `Connection: close` gets one request per connection). Routes:
//   /small          a 64-byte body
//   /bytes/N        N bytes, Content-Length framed, written from one 1 MiB buffer with backpressure
// Posts { http, https } (ports; https 0 without a key pair) once listening; exits on 'close'.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const CHUNK = Buffer.alloc(1024 * 1024, 0x61);
const SMALL = Buffer.alloc(64, 0x62);

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const match = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
  if (!match) {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': SMALL.length });
    res.end(SMALL);
    return;
  }
  let left = Number(match[1]);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
  const pump = (): void => {
    while (left > 0) {
      const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

function listen(server: http.Server): Promise<number> {
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

const tlsPair = workerData as { key: string; cert: string } | undefined;
const servers = [http.createServer(handle)];
if (tlsPair) servers.push(https.createServer({ key: tlsPair.key, cert: tlsPair.cert }, handle));
const ports = await Promise.all(servers.map(listen));
parentPort?.postMessage({ http: ports[0], https: ports[1] ?? 0 });
parentPort?.on('message', (message) => {
  if (message !== 'close') return;
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  parentPort?.close();
});
