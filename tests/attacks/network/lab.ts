// Starts the network family's targets (lab.mjs) and reads their counters. As root the lab gets a
// network namespace of its own (unshare -n) and the wardens of the network cases are started inside
// it (nsenter): then the addresses the cases must never reach, 10.0.0.1 and 169.254.169.254 among
// them, are this namespace's own, and nothing a failing case dials can leave the machine.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { OPENSSL_AVAILABLE, makeCertificates } from '../../integration/network/loopback-servers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const LAB = path.join(here, 'lab.mjs');

/** Names the TLS origin's certificate covers. */
export const TLS_NAMES = ['api.example.test', 'evil.example.test', 'ok.wild.example.test'];

export interface LabPorts {
  originPort: number;
  tlsPort: number;
  forbiddenPort: number;
  spelledPort: number;
  udpPort: number;
  ipv6: boolean;
  /** Non-loopback addresses the lab owns (10.0.0.1, 169.254.169.254) — only in its own namespace. */
  foreign: string[];
}

export interface SeenRequest {
  method: string;
  path: string;
  host: string;
}

export interface LabStats {
  origin: { connections: number; bytes: number; requests: SeenRequest[] };
  tls: { connections: number; requests: SeenRequest[] };
  /** `address:port` → what reached that listener. */
  raw: Record<string, { connections: number; bytes: number }>;
  udp: number;
}

export interface NetworkLab {
  ports: LabPorts;
  /** The test CA (for NODE_EXTRA_CA_CERTS and the TLS probes), when openssl exists. */
  caFile: string | undefined;
  /** Argv prefix that runs a command in the lab's namespace (empty without one). */
  prefix: string[];
  /** Why the lab has no namespace of its own (undefined when it has). */
  noNamespace: string | undefined;
  stats(): Promise<LabStats>;
  close(): Promise<void>;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Start the lab; `dir` receives the test CA (put it where the sandbox can read it). */
export async function startNetworkLab(dir: string): Promise<NetworkLab> {
  const certs = OPENSSL_AVAILABLE ? makeCertificates(dir, TLS_NAMES) : undefined;
  const keyFile = path.join(dir, 'server.key');
  const certFile = path.join(dir, 'server.pem');
  const netns = isRoot();
  const config = Buffer.from(
    JSON.stringify({ netns, ...(certs ? { tlsKey: keyFile, tlsCert: certFile } : {}) }),
  ).toString('base64');
  const argv = netns
    ? ['unshare', '-n', '--', process.execPath, LAB, config]
    : [process.execPath, LAB, config];
  const child = spawn(argv[0] as string, argv.slice(1), {
    stdio: ['pipe', 'pipe', 'pipe'],
  }) as ChildProcessByStdio<Writable, Readable, Readable>;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const lines = readline.createInterface({ input: child.stdout });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the network lab did not answer: ${stderr}`)), 10_000);
      waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ports = JSON.parse(await next()) as LabPorts;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    ports,
    caFile: certs?.caFile,
    prefix: netns ? ['nsenter', `--net=/proc/${child.pid}/ns/net`, '--'] : [],
    noNamespace: netns
      ? undefined
      : 'needs root to give the lab a network namespace of its own, where 10.0.0.1 and 169.254.169.254 are local (never dialled on a shared network)',
    stats: () => {
      const answer = queue.then(() => {
        const reply = next();
        child.stdin.write('\n');
        return reply;
      });
      queue = answer.catch(() => undefined);
      return answer.then((line) => JSON.parse(line) as LabStats);
    },
    close: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
