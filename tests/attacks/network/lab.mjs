#!/usr/bin/env node
// The network attack family's targets (tests/attacks/cases/network.ts), in a process of their own so
// they can live in a private network namespace (when the tests run as root): there the forbidden
// addresses 10.0.0.1 and 169.254.169.254 are put on this namespace's loopback, so even a proxy that
// failed to refuse them would only ever reach these counters, never another machine.
//
// Usage: node lab.mjs B64JSON   ({netns, tlsKey, tlsCert}); with `netns` it first sets up its
// namespace's loopback (it must have been started by `unshare -n`). It prints one JSON line with its
// ports, then answers every line on stdin with one JSON line of counters. It exits when stdin closes.
//
// Targets:
// - origin: a deliberately naive HTTP origin on 127.0.0.2 (named api.example.test by the profile): it
//   answers every request head it finds anywhere in what it receives, and records each one (method,
//   path, Host). It is the worst case of an origin that reads pipelined or smuggled requests, so "the
//   origin saw one request" means the proxy forwarded one, not that the origin ignored the rest.
// - tls: an HTTPS origin on 127.0.0.2 (certificate for the *.example.test names of the profile).
// - raw: TCP listeners on one port on every local address (127.0.0.1-3, ::1 and, in the namespace,
//   10.0.0.1 and 169.254.169.254) and on a second port on 127.0.0.1, 127.0.0.3 and ::1; each
//   counts connections and bytes per local address. Nothing should ever reach them.
// - udp: a datagram socket on 127.0.0.1 counting what arrives (UDP and DNS queries).
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import process from 'node:process';
import readline from 'node:readline';
import { setTimeout } from 'node:timers';

const config = JSON.parse(Buffer.from(process.argv[2] ?? 'e30=', 'base64').toString('utf8'));
const FOREIGN = ['10.0.0.1', '169.254.169.254'];

if (config.netns) {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  for (const address of FOREIGN) execFileSync('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo']);
}

const listen = (server, port, host) =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });

// ---- the naive origin ----
const origin = { connections: 0, bytes: 0, requests: [] };
const REQUEST_LINE = /(?<=^|\n)([A-Z]{3,10}) (\S+) HTTP\/1\.[01]\r\n((?:[^\r\n]*\r\n)*?)\r\n/g;
const originServer = net.createServer((socket) => {
  origin.connections++;
  let seen = '';
  let answered = 0;
  socket.on('data', (chunk) => {
    origin.bytes += chunk.length;
    seen += chunk.toString('latin1');
    const heads = [...seen.matchAll(REQUEST_LINE)];
    for (const head of heads.slice(answered)) {
      const host = /^host:[ \t]*(.*)$/im.exec(head[3])?.[1] ?? '';
      origin.requests.push({ method: head[1], path: head[2], host });
      const body = `hello from the origin ${head[2]}`;
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
    }
    answered = heads.length;
  });
  socket.on('error', () => undefined);
});

// ---- the TLS origin ----
const tls = { connections: 0, requests: [] };
const tlsServer = config.tlsKey
  ? https.createServer(
      { key: fs.readFileSync(config.tlsKey), cert: fs.readFileSync(config.tlsCert) },
      (req, res) => {
        tls.requests.push({ method: req.method, path: req.url, host: req.headers.host ?? '' });
        res.end(`hello from the tls origin ${req.url}`);
      },
    )
  : undefined;
tlsServer?.on('connection', () => tls.connections++);

// ---- raw counters ----
const raw = {};
const rawServers = [];
async function rawListener(port, host) {
  const server = net.createServer((socket) => {
    const key = `${socket.localAddress?.replace(/^::ffff:/, '')}:${socket.localPort}`;
    const entry = (raw[key] ??= { connections: 0, bytes: 0 });
    entry.connections++;
    socket.on('data', (chunk) => (entry.bytes += chunk.length));
    socket.on('error', () => undefined);
    setTimeout(() => socket.destroy(), 3000).unref();
  });
  rawServers.push(server);
  return listen(server, port, host);
}

// ---- UDP ----
let datagrams = 0;
const udp = dgram.createSocket('udp4');
udp.on('message', () => datagrams++);

const loopback = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
const forbiddenHosts = [...loopback, ...(config.netns ? FOREIGN : [])];
const originPort = await listen(originServer, 0, '127.0.0.2');
const tlsPort = tlsServer ? await listen(tlsServer, 0, '127.0.0.2') : 0;
// One port on every address: bind the first on an ephemeral port, the others on the same number.
const forbiddenPort = await rawListener(0, forbiddenHosts[0]);
for (const host of forbiddenHosts.slice(1)) await rawListener(forbiddenPort, host);
const ipv6 = await rawListener(forbiddenPort, '::1').then(
  () => true,
  () => false,
);
const spelledPort = await rawListener(0, '127.0.0.1');
await rawListener(spelledPort, '127.0.0.3');
if (ipv6) await rawListener(spelledPort, '::1');
await new Promise((resolve) => udp.bind(0, '127.0.0.1', resolve));

process.stdout.write(
  `${JSON.stringify({ originPort, tlsPort, forbiddenPort, spelledPort, udpPort: udp.address().port, ipv6, foreign: config.netns ? FOREIGN : [] })}\n`,
);

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', () => {
  process.stdout.write(`${JSON.stringify({ origin, tls, raw, udp: datagrams })}\n`);
});
lines.on('close', () => process.exit(0));
