import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** True when openssl is on this machine (the HTTPS cases make their test CA with it). */
export const OPENSSL_AVAILABLE = ((): boolean => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A loopback origin that counts the requests it gets. */
export interface CountingServer {
  port: number;
  hits(): number;
  close(): Promise<void>;
}

function counting(server: http.Server): Promise<CountingServer> {
  let hits = 0;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    hits++;
    res.end(`hello from ${req.headers.host ?? '?'}${req.url ?? ''}`);
  });
  server.on('connection', () => undefined);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        hits: () => hits,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
}

export function httpServer(): Promise<CountingServer> {
  return counting(http.createServer());
}

/**
 * A test CA and a certificate for `names` signed by it, made with openssl in `dir`; returns the CA's
 * path (for NODE_EXTRA_CA_CERTS) and the key pair.
 */
export function makeCertificates(
  dir: string,
  names: readonly string[],
): { caFile: string; key: string; cert: string } {
  const file = (name: string) => path.join(dir, name);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=mcp-warden test CA',
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    `/CN=${names[0]}`,
  ]);
  writeFileSync(file('ext.cnf'), `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`);
  run([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '1',
    '-extfile',
    file('ext.cnf'),
  ]);
  return {
    caFile: file('ca.pem'),
    key: readFileSync(file('server.key'), 'utf8'),
    cert: readFileSync(file('server.pem'), 'utf8'),
  };
}

export function httpsServer(key: string, cert: string): Promise<CountingServer> {
  return counting(https.createServer({ key, cert }));
}
