// Network cases that need a session of their own: the per-session caps (maxConnections, maxBytesOut),
// onDeny "kill", and the proxy's unix socket (another session's socket from inside a sandbox, the
// socket from another uid on the host, writing into the socket's directory). Same lab, same rules as
// cases/network.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { RawWarden } from '../../helpers/warden.ts';
import { reachSinceBaseline, takeBaseline } from '../network/checks.ts';
import { connectThen, get } from '../network/requests.ts';
import type { NetworkSettingsInput } from '../network/allowlist.ts';
import { networkWardenOptions } from '../network/session.ts';
import type { AttackCase, AttackContext, CustomApi } from '../types.ts';

type Result = Record<string, unknown>;

const RAW_VEHICLE =
  'an isolate has no sockets: its fetch/http shims build each request host-side and send it through the same proxy';

function pending(ctx: AttackContext): string | undefined {
  const error = ctx.net?.sessionError;
  const missing = error && /not supported on the \w+ backend/.exec(error);
  return missing ? `egress by allowlist is not available on ${ctx.backend} yet (${missing[0]})` : undefined;
}

/** Only api.example.test (the lab's origin), plus `extra`. */
function narrow(ctx: AttackContext, extra: NetworkSettingsInput = {}): NetworkSettingsInput {
  const port = ctx.net?.lab.ports.originPort;
  return {
    allow: [`api.example.test:${port}`, `127.0.0.2:${port}`, ...(extra.allow ?? [])],
    resolve: { 'api.example.test': '127.0.0.2', 'evil.example.test': '127.0.0.2' },
    ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'allow')),
  };
}

async function netWarden(
  ctx: AttackContext,
  api: CustomApi,
  network: NetworkSettingsInput,
): Promise<RawWarden> {
  if (!ctx.net) throw new Error('the network lab did not start');
  const { profile, prefix, extraArgs } = networkWardenOptions(ctx.backend, ctx.net, network);
  return api.warden({ profile, prefix, extraArgs });
}

let calls = 0;
/** Run one probe request in `warden`'s sandbox; its parsed result (or the JSON-RPC error). */
async function probeIn(warden: RawWarden, request: Result, timeoutMs = 30_000): Promise<Result> {
  const b64 = Buffer.from(JSON.stringify(request)).toString('base64');
  const reply = await warden.request(
    `net-${calls++}`,
    'tools/call',
    { name: 'probe', arguments: { b64 } },
    timeoutMs,
  );
  const text = (reply.result as { content?: Array<{ text?: string }> } | undefined)?.content?.[0]?.text;
  return text === undefined ? { rpcError: reply.error } : (JSON.parse(text) as Result);
}

/** The unix socket path the warden `pid` listens on for its egress proxy (from /proc). */
export function proxySocketOf(pid: number): string | undefined {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  for (const line of readFileSync(`/proc/${pid}/net/unix`, 'utf8').split('\n')) {
    const fields = line.trim().split(/\s+/);
    const [inode, where] = [fields[6], fields[7]];
    if (where?.includes('mcp-warden-net-') && inode && inodes.has(inode)) return where;
  }
  return undefined;
}

const custom = (
  id: string,
  title: string,
  layer: 'policy' | 'os',
  what: string,
  run: (ctx: AttackContext, api: CustomApi) => Promise<string | undefined>,
  extra: Partial<AttackCase> = {},
): AttackCase => ({
  id: `network.${id}`,
  family: 'network',
  title,
  layer,
  action: { kind: 'custom', run },
  expect: { kind: 'contained', what },
  pending,
  ...extra,
});

export const NETWORK_SESSION_CASES: AttackCase[] = [
  custom(
    'max-connections',
    'more tunnels at once than network.maxConnections (2)',
    'policy',
    'the excess is refused (network.limit); the origin never holds more than 2 connections',
    async (ctx, api) => {
      const warden = await netWarden(ctx, api, narrow(ctx, { maxConnections: 2 }));
      const port = ctx.net?.lab.ports.originPort;
      await takeBaseline(ctx);
      const tunnel = {
        ...connectThen(`api.example.test:${port}`, get('/hold', `api.example.test:${port}`)),
        idleMs: 2500,
      };
      const results = await Promise.all([1, 2, 3, 4].map(() => probeIn(warden, tunnel)));
      const reach = await reachSinceBaseline(ctx);
      const held = Number(/origin: (\d+) connection/.exec(reach.moved.join(' '))?.[1] ?? 0);
      if (held > 2) return `the origin got ${held} connections at once`;
      return results.some((r) => String(r.response).includes('network.limit'))
        ? undefined
        : `no network.limit refusal: ${JSON.stringify(results).slice(0, 400)}`;
    },
    { notApplicable: { isolate: RAW_VEHICLE } },
  ),
  custom(
    'max-bytes-out',
    'a 64 KiB upload to an allowed host with network.maxBytesOut 4096',
    'policy',
    'the connection is cut: the origin receives at most 4096 bytes',
    async (ctx, api) => {
      const warden = await netWarden(ctx, api, narrow(ctx, { maxBytesOut: 4096 }));
      const port = ctx.net?.lab.ports.originPort;
      await takeBaseline(ctx);
      const r = await probeIn(warden, {
        op: 'fetch',
        url: `http://api.example.test:${port}/upload`,
        method: 'POST',
        body: 'x'.repeat(65536),
      });
      const reach = await reachSinceBaseline(ctx);
      if (reach.originBytes > 4096) return `the origin received ${reach.originBytes} bytes`;
      return r.status === 200 && reach.originRequests.length > 0 && reach.originBytes > 65536
        ? 'the upload went through'
        : undefined;
    },
  ),
  custom(
    'on-deny-kill',
    'with network.onDeny "kill", a refused connection is a breach',
    'policy',
    'the session is killed (exit 70); the origin gets nothing',
    async (ctx, api) => {
      const warden = await netWarden(ctx, api, narrow(ctx, { onDeny: 'kill' }));
      const port = ctx.net?.lab.ports.originPort;
      await takeBaseline(ctx);
      const r = await probeIn(warden, { op: 'fetch', url: `http://evil.example.test:${port}/kill` }).catch(
        (error: Error) => ({ thrown: error.message.slice(0, 200) }),
      );
      const status = await Promise.race([
        warden.exit,
        new Promise((resolve) => setTimeout(() => resolve('running'), 20_000)),
      ]);
      const reach = await reachSinceBaseline(ctx);
      if (reach.moved.length > 0) return `reached: ${reach.moved.join('; ')}`;
      return JSON.stringify(status) === JSON.stringify({ code: 70, signal: null })
        ? undefined
        : `the session was not killed: ${JSON.stringify(status)} after ${JSON.stringify(r).slice(0, 200)}`;
    },
  ),
  custom(
    'other-session-proxy',
    'from inside, connect to ANOTHER session’s proxy socket (one with a wider allowlist)',
    'os',
    'ENOENT: only the session’s own socket directory is mounted; the origin gets nothing',
    async (ctx, api) => {
      const port = ctx.net?.lab.ports.originPort;
      const wide = await netWarden(ctx, api, narrow(ctx, { allow: [`evil.example.test:${port}`] }));
      const socket = wide.child.pid === undefined ? undefined : proxySocketOf(wide.child.pid);
      if (!socket) return 'could not find the second session’s proxy socket (the test cannot run)';
      const warden = await netWarden(ctx, api, narrow(ctx));
      await takeBaseline(ctx);
      const r = await probeIn(warden, {
        ...connectThen(`evil.example.test:${port}`, get('/other-session', `evil.example.test:${port}`)),
        proxy: false,
        path: socket,
      });
      const reach = await reachSinceBaseline(ctx);
      if (reach.moved.length > 0)
        return `reached through the other session's proxy: ${reach.moved.join('; ')}`;
      return r.connected === true
        ? `connected to the other session's socket: ${JSON.stringify(r).slice(0, 200)}`
        : undefined;
    },
  ),
  custom(
    'proxy-socket-other-uid',
    'a process of another uid on the host connects to the session’s proxy socket and lists its directory',
    'policy',
    'EACCES both: the directory is 0700 and the socket 0600, owned by the sandbox’s user',
    async (ctx, api) => {
      const warden = await netWarden(ctx, api, narrow(ctx));
      const socket = warden.child.pid === undefined ? undefined : proxySocketOf(warden.child.pid);
      if (!socket) return 'could not find the session’s proxy socket (the test cannot run)';
      const script = `const net=require('net'),fs=require('fs');const out={};try{out.list=fs.readdirSync(${JSON.stringify(path.dirname(socket))})}catch(e){out.list=e.code}const s=net.connect(${JSON.stringify(socket)});s.on('connect',()=>{out.connect='ok';console.log(JSON.stringify(out));process.exit()});s.on('error',e=>{out.connect=e.code;console.log(JSON.stringify(out));process.exit()})`;
      const run = spawnSync(process.execPath, ['-e', script], {
        uid: 4242,
        gid: 4242,
        encoding: 'utf8',
        timeout: 10_000,
      });
      const out = JSON.parse(run.stdout.trim() || '{}') as Result;
      return out.connect === 'EACCES' && out.list === 'EACCES'
        ? undefined
        : `as uid 4242: ${JSON.stringify(out)} ${run.stderr.slice(0, 200)}`;
    },
    {
      requires: () => (process.getuid?.() === 0 ? undefined : 'needs root to run a probe as another uid'),
    },
  ),
  custom(
    'proxy-socket-dir-write',
    'from inside, plant a file next to the proxy socket and move the socket away',
    'os',
    'EROFS: the socket’s directory is mounted read-only; the host directory is unchanged',
    async (ctx, api) => {
      const warden = await netWarden(ctx, api, narrow(ctx));
      const socket = warden.child.pid === undefined ? undefined : proxySocketOf(warden.child.pid);
      if (!socket) return 'could not find the session’s proxy socket (the test cannot run)';
      const dir = path.dirname(socket);
      const planted = path.join(dir, 'planted');
      await probeIn(warden, { op: 'write', path: planted });
      await probeIn(warden, { op: 'rename', from: socket, to: path.join(dir, 'moved.sock') });
      const problems: string[] = [];
      if (existsSync(planted)) {
        problems.push('a file was planted next to the socket');
        rmSync(planted, { force: true });
      }
      if (!existsSync(socket)) problems.push('the socket was moved away');
      return problems.length === 0 ? undefined : problems.join('; ');
    },
  ),
];
