// Memory per gateway session, for sizing a container's memory limit (deploy/kubernetes/deployment.yaml):
// starts `mcp-warden gateway` with one server on profile none (as inside the image), opens N sessions
// that stay open (initialize, tools/list, one tools/call each), and reads /proc: the gateway's RSS growth
// over its idle baseline plus the RSS (and PSS) of every process below the gateway (the servers).
// Options: --sessions N (default 16), --server everything|conformance (default everything, the server
// of deploy/kubernetes/configmap.yaml), --entry FILE (default dist/cli/main.js, as in the image).
//   npm run build && node bench/gateway-memory.ts --sessions 16
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const REPO = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '16' },
    server: { type: 'string', default: 'everything' },
    entry: { type: 'string', default: path.join(REPO, 'dist/cli/main.js') },
  },
});
const SESSIONS = Number(values.sessions);
const SERVERS: Record<
  string,
  { command: string[]; call: { name: string; arguments: Record<string, unknown> } }
> = {
  everything: {
    command: [
      'node',
      path.join(REPO, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'),
      'stdio',
    ],
    call: { name: 'echo', arguments: { message: 'hello' } },
  },
  conformance: {
    command: ['node', path.join(REPO, 'tests/fixtures/conformance-server.mjs')],
    call: { name: 'test_simple_text', arguments: {} },
  },
};
const server = SERVERS[values.server];
if (!server || !Number.isInteger(SESSIONS) || SESSIONS < 1) {
  process.stderr.write(
    `usage: gateway-memory.ts [--sessions N] [--server ${Object.keys(SERVERS).join('|')}]\n`,
  );
  process.exit(2);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-bench-memory-'));
const config = path.join(dir, 'gateway.json');
writeFileSync(
  config,
  JSON.stringify({
    listen: { host: '127.0.0.1', port: 0 },
    servers: { s: { profile: 'none', command: server.command } },
    limits: { maxSessions: SESSIONS + 1, ratePerMinute: 1_000_000 },
  }),
);
const child = spawn(process.execPath, [values.entry, 'gateway', '--config', config], {
  env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let stderr = '';
const base = await new Promise<string>((resolve, reject) => {
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    const match = /gateway listening on (http:\/\/\S+)/.exec(stderr);
    if (match?.[1]) resolve(match[1]);
  });
  child.once('exit', (code) => reject(new Error(`gateway exited ${code}:\n${stderr}`)));
});
const url = new URL(`${base}/servers/s/mcp`);
const gatewayPid = child.pid!;

async function open(i: number): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url);
  const client = new Client({ name: `memory-${i}`, version: '1.0.0' });
  await client.connect(transport);
  await client.listTools();
  const result = await client.callTool(server!.call);
  if (result.isError) throw new Error(`session ${i}: tool error`);
  return { client, transport };
}
async function close(s: { client: Client; transport: StreamableHTTPClientTransport }): Promise<void> {
  await s.transport.terminateSession().catch(() => undefined);
  await s.client.close().catch(() => undefined);
}
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 3000));

// Baseline: after one session came and went (lazily loaded modules, JIT, pools are then in place).
await close(await open(-1));
await settle();
const idle = kib(gatewayPid, 'VmRSS');

const sessions = await Promise.all(Array.from({ length: SESSIONS }, (_, i) => open(i)));
await settle();
const gateway = kib(gatewayPid, 'VmRSS');
const below = descendants(gatewayPid);
const serverRss = sum(below.map((pid) => kib(pid, 'VmRSS')));
const serverPss = sum(below.map((pid) => pss(pid)));
await Promise.all(sessions.map(close));

const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
child.kill('SIGTERM');
const exitCode = await exited;
rmSync(dir, { recursive: true, force: true });

const mib = (k: number): string => (k / 1024).toFixed(1);
const perSession = (gateway - idle + serverRss) / SESSIONS;
const rows = [
  ['server', `${values.server} (${path.basename(server.command[1]!)}), profile none`],
  ['sessions open', String(SESSIONS)],
  ['processes below the gateway', String(below.length)],
  ['gateway RSS idle (after one session)', `${mib(idle)} MiB`],
  ['gateway RSS with the sessions open', `${mib(gateway)} MiB`],
  ['gateway RSS per session', `${mib((gateway - idle) / SESSIONS)} MiB`],
  ['server RSS per session', `${mib(serverRss / SESSIONS)} MiB`],
  ['server PSS per session (shared pages split)', `${mib(serverPss / SESSIONS)} MiB`],
  ['gateway + server RSS per session', `${mib(perSession)} MiB`],
  ['gateway exit status after SIGTERM', String(exitCode)],
];
const table = [
  `## Gateway memory per session (loopback, node ${process.version}, ${os.cpus().length} CPUs)`,
  '',
  ...rows.map(([k, v]) => `- ${k}: ${v}`),
  '',
].join('\n');
process.stdout.write(`${table}\n`);
if (below.length !== SESSIONS || exitCode !== 0) {
  process.stderr.write(`expected ${SESSIONS} server processes and exit 0:\n${stderr}\n`);
  process.exitCode = 1;
}

function kib(pid: number, field: 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
}

function pss(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function sum(list: number[]): number {
  return list.reduce((a, b) => a + b, 0);
}

/** Every process below `root` (by parent pid), the servers and anything they started. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of stat, after the parenthesised command name (which may hold spaces).
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const [p, pp] of parent) {
      if (pp === pid) {
        found.push(p);
        queue.push(p);
      }
    }
  }
  return found;
}
