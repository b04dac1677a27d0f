// Inherited file descriptors (issue 20 item 2).
//
// Issue: neither the warden nor bwrap closed descriptors above 2. One open in the warden's parent (a
// shell's `exec 200</`, a client that leaks a pipe) passed through setpriv and bwrap into the sandbox,
// where /proc/self/fd/200/etc/shadow read the host and a directory descriptor wrote anywhere on it.
// Fix: the warden closes every descriptor above 2 that is not close-on-exec at start-up (src/cli/main.ts,
// so `run` and `gateway` alike) and again before each spawn (src/sandboxes/process/close-inherited-fds.ts);
// Node and libuv open their own with O_CLOEXEC. bwrap gets only its --args and --seccomp pipes, which it
// closes before it runs the server. Docker and gVisor pass no host descriptor into a container at all.
// The `fds` probe lists, inside, every descriptor above 2 without O_CLOEXEC and tries the secret through
// each; the launcher is shared by every backend, so these run on `none` too.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import {
  HOSTILE_SERVER,
  PROJECT_ROOT,
  WARDEN_ENTRY,
  initializeRaw,
  runArgs,
  spawnWardenRaw,
} from '../../helpers/warden.ts';
import type { AttackCase, AttackContext } from '../types.ts';

type Result = Record<string, unknown>;

/** Where the test puts the inherited descriptor in the warden (what `exec 200</` does). */
const AT = 200;
const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** Open `file` here (Node: close-on-exec) for the warden to inherit at AT (dup2 clears the flag). */
function openForWarden(file: string, flags: 'r' | 'r+'): number {
  return openSync(file, flags);
}

/** The probe's verdict: no inherited descriptor inside, nothing reached through one, no canary. */
function judge(text: string | undefined, ctx: AttackContext, plant?: string): string | undefined {
  if (text === undefined) return 'the probe got no result';
  if (text.includes(ctx.secret.content)) return 'the secret canary reached the client';
  const r = JSON.parse(text) as Result;
  if (plant && existsSync(path.join(ctx.secret.dir, plant))) {
    rmSync(path.join(ctx.secret.dir, plant), { force: true });
    return `a file was planted outside the roots through an inherited descriptor (${plant})`;
  }
  if (r.ok === false) {
    // A V8 isolate has no /proc (its fs shim refuses the path) and no descriptors of its own; anywhere
    // else the probe must run.
    return ctx.backend === 'isolate' ? undefined : `the fds probe failed: ${text.slice(0, 300)}`;
  }
  const inherited = r.inherited as unknown[];
  const reached = r.reached as string[];
  if (inherited.length > 0)
    return `the server inherited ${JSON.stringify(inherited)}${reached.length > 0 ? `, and through it: ${reached.join('; ')}` : ''}`;
  return reached.length > 0 ? `reached: ${reached.join('; ')}` : undefined;
}

/** A warden `run` on ctx.backend with `fds` (warden fd → fd here) inherited; the fds probe's text. */
async function runWithInherited(
  ctx: AttackContext,
  fds: Record<number, number>,
  probe: Result,
): Promise<string | undefined> {
  const command = [process.execPath, HOSTILE_SERVER, '--root', ctx.root];
  const warden = spawnWardenRaw(
    runArgs({ profile: ctx.backend, roots: [ctx.root, `${ctx.ro}:ro`], command }),
    { env: { ...process.env, ATTACK_ENV_CANARY: ctx.envCanary }, inheritFds: fds },
  );
  // The warden has its copies; ours are not needed any more.
  for (const fd of Object.values(fds)) closeSync(fd);
  try {
    await initializeRaw(warden);
    const reply = await warden.request(
      `fds-${ctx.mark()}`,
      'tools/call',
      { name: 'probe', arguments: { b64: b64(JSON.stringify(probe)) } },
      60_000,
    );
    return (reply.result as { content?: Array<{ text?: string }> } | undefined)?.content?.[0]?.text;
  } finally {
    warden.endInput();
    await Promise.race([warden.exit, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
}

/** `mcp-warden gateway` with `fds` inherited, one session over HTTP; the fds probe's text. */
async function gatewayWithInherited(
  ctx: AttackContext,
  fds: Record<number, number>,
  probe: Result,
): Promise<string | undefined> {
  const config = path.join(tmpRoot(`descriptors-gateway-${ctx.backend}`), 'gateway.json');
  writeFileSync(
    config,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      servers: {
        hostile: {
          profile: ctx.backend,
          roots: [ctx.root],
          command: [process.execPath, HOSTILE_SERVER, '--root', ctx.root],
        },
      },
    }),
  );
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe'];
  for (const [at, fd] of Object.entries(fds)) {
    while (stdio.length <= Number(at)) stdio.push('ignore');
    stdio[Number(at)] = fd;
  }
  const gateway: ChildProcess = spawn(process.execPath, [WARDEN_ENTRY, 'gateway', '--config', config], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' },
    stdio,
  });
  for (const fd of Object.values(fds)) closeSync(fd);
  let stderr = '';
  const client = new Client({ name: 'descriptors-attack', version: '1.0.0' });
  try {
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not start: ${stderr}`)), 30_000);
      gateway.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        const match = /gateway listening on (http:\/\/\S+)/.exec(stderr);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1].replace(/\/$/, ''));
        }
      });
      gateway.once('exit', () => reject(new Error(`gateway exited: ${stderr}`)));
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/servers/hostile/mcp`)));
    const result = await client.callTool(
      { name: 'probe', arguments: { b64: b64(JSON.stringify(probe)) } },
      undefined,
      { timeout: 60_000 },
    );
    return (result.content as Array<{ text?: string }>)[0]?.text;
  } finally {
    await client.close().catch(() => undefined);
    const exited = new Promise((resolve) => gateway.once('exit', resolve));
    if (gateway.exitCode === null && gateway.signalCode === null) gateway.kill('SIGTERM');
    const timer = setTimeout(() => gateway.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

function descriptorCase(
  id: string,
  title: string,
  run: (ctx: AttackContext) => Promise<string | undefined>,
  what: string,
): AttackCase {
  return {
    id: `descriptors.${id}`,
    family: 'descriptors',
    title,
    // The warden's launcher, shared by every backend, must hold: `none` included.
    layer: 'policy',
    action: { kind: 'custom', run },
    expect: { kind: 'contained', what },
  };
}

export const DESCRIPTOR_CASES: AttackCase[] = [
  descriptorCase(
    'dir-fd-root',
    'the warden’s parent holds a descriptor of / at fd 200; the server reads the secret through /proc/self/fd/200',
    async (ctx) => {
      const text = await runWithInherited(
        ctx,
        { [AT]: openForWarden('/', 'r') },
        { op: 'fds', secret: ctx.secret.file },
      );
      return judge(text, ctx);
    },
    'no descriptor above 2 inside; the secret is not reached',
  ),
  descriptorCase(
    'dir-fd-outside',
    'a descriptor of the secret’s directory at fd 200: read the secret and plant a file next to it',
    async (ctx) => {
      const plant = `planted-${ctx.mark()}`;
      const text = await runWithInherited(
        ctx,
        { [AT]: openForWarden(ctx.secret.dir, 'r') },
        { op: 'fds', secret: ctx.secret.file, plant },
      );
      return judge(text, ctx, plant);
    },
    'no descriptor above 2 inside; nothing read or written outside the roots',
  ),
  descriptorCase(
    'file-fd-rw',
    'the secret file itself open read-write at fd 201 (and stdin-like fd 3): read it back through /proc/self/fd',
    async (ctx) => {
      const before = readFileSync(ctx.secret.file, 'utf8');
      const text = await runWithInherited(
        ctx,
        { 3: openForWarden(ctx.secret.file, 'r'), [AT + 1]: openForWarden(ctx.secret.file, 'r+') },
        { op: 'fds', secret: ctx.secret.file },
      );
      if (readFileSync(ctx.secret.file, 'utf8') !== before) return 'the secret file was modified';
      return judge(text, ctx);
    },
    'no descriptor above 2 inside',
  ),
  descriptorCase(
    'gateway-dir-fd',
    'the gateway inherited a descriptor of / at fd 200; a session’s server reads the secret through it',
    async (ctx) => {
      const text = await gatewayWithInherited(
        ctx,
        { [AT]: openForWarden('/', 'r') },
        { op: 'fds', secret: ctx.secret.file },
      );
      return judge(text, ctx);
    },
    'the gateway closes it at start-up: no descriptor above 2 inside',
  ),
];
