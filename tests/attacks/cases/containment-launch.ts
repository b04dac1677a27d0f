// What the launch mounts (issue 20 items 8, 12).
//
// Issue (item 8): the server's code was mounted as "the nearest named package.json upward, else the
// script's directory": a server in a nameless workspace package got the whole monorepo (its .env, its
// secrets/, every other package), and a lone script got every neighbour in its directory.
// Fix: src/sandboxes/launch-spec/server-code-paths.ts mounts the server's package minus dotfiles and
// other packages' sources, the node_modules it resolves from, the realpath of each workspace package it
// declares as a dependency, and for a lone script only the script (and the JS files it imports below
// its own directory); `explain` lists every mount with its reason.
//
// Issue (item 12): a server plants ROOT/future → ../secret; a later `--root ROOT/future` mounted the
// secret directory read-write with no word. Fix: src/cli/prepare-session.ts records the realpath of
// every rw root in the state dir (src/config/rw-root-record.ts); a root whose resolution passes
// through a symlink inside a recorded rw root is refused (exit 2) unless confirmed with
// --allow-root-symlink, and every root whose realpath differs is reported (stderr, explain, audit).
import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { shareWithSandbox } from '../../helpers/containers.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import {
  HOSTILE_SERVER,
  initializeRaw,
  PROJECT_ROOT,
  type RawWarden,
  runArgs,
  spawnWardenRaw,
  WARDEN_ENTRY,
} from '../../helpers/warden.ts';
import type { AttackCase, AttackContext, BackendName } from '../types.ts';

const run = promisify(execFile);
const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** Host-side layout every backend's server user can read (containers run as nobody when we are root). */
function publish(dir: string, backend: BackendName): void {
  shareWithSandbox(dir, backend);
  const walk = (target: string): void => {
    if (lstatSync(target).isSymbolicLink()) return;
    if (lstatSync(target).isDirectory()) {
      chmodSync(target, 0o755);
      for (const name of readdirSync(target)) walk(path.join(target, name));
    } else chmodSync(target, 0o644);
  };
  walk(dir);
}

function write(file: string, text: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** The warden's environment for these scenarios: the host's, with a private state dir. */
function wardenEnv(stateDir: string): NodeJS.ProcessEnv {
  return { ...process.env, MCP_WARDEN_STATE_DIR: stateDir };
}

/** `mcp-warden explain` for this backend and command; the parsed JSON, or the failure as a string. */
async function explain(
  backend: BackendName,
  roots: string[],
  command: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, unknown> | string> {
  const args = runArgs({ profile: backend, roots, command });
  args[0] = 'explain';
  try {
    const { stdout } = await run(process.execPath, [WARDEN_ENTRY, ...args], {
      cwd: PROJECT_ROOT,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (error) {
    return `explain failed: ${(error as Error).message.slice(0, 600)}`;
  }
}

/** The host paths an explain output says are mounted read-only (the server's code and runtime). */
function mountedPaths(plan: Record<string, unknown>): string[] {
  return (plan.readOnlyPaths as string[] | undefined) ?? [];
}

/** Start a warden running `script` (a copy of the hostile fixture) with one rw root; initialize it. */
async function startScript(
  ctx: AttackContext,
  script: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RawWarden> {
  const warden = spawnWardenRaw(
    runArgs({
      profile: ctx.backend,
      roots: [ctx.root],
      command: [process.execPath, script, '--root', ctx.root],
    }),
    { env },
  );
  await initializeRaw(warden);
  return warden;
}

/** Ask the server (hidden from the policy: base64) to read each file; the first canary that came back. */
async function tryReads(
  warden: RawWarden,
  files: Array<{ file: string; canary: string }>,
): Promise<string | undefined> {
  let seq = 0;
  for (const { file, canary } of files) {
    const reply = await warden.request(
      `read-${seq++}`,
      'tools/call',
      { name: 'open_secret', arguments: { b64: b64(file) } },
      30_000,
    );
    if (JSON.stringify(reply).includes(canary)) return `the server read ${file}`;
  }
  return undefined;
}

/** Ask the server to list a directory; the names it saw, or undefined when it could not. */
async function tryList(warden: RawWarden, dir: string): Promise<string[] | undefined> {
  const reply = await warden.request(
    'list',
    'tools/call',
    { name: 'probe', arguments: { b64: b64(JSON.stringify({ op: 'readdir', path: dir })) } },
    30_000,
  );
  const text = (reply.result as { content?: Array<{ text?: string }> } | undefined)?.content?.[0]?.text;
  try {
    const parsed = JSON.parse(text ?? '{}') as { ok?: boolean; entries?: string[] };
    return parsed.ok === false ? undefined : parsed.entries;
  } catch {
    return undefined;
  }
}

const canary = (ctx: AttackContext, what: string): string => `CANARY-${what}-${ctx.mark()}`;

/** mono/ with a nameless workspace package packages/srv whose dist/server.mjs is the hostile fixture. */
function nestedWorkspace(ctx: AttackContext) {
  const mono = path.join(tmpRoot(`launch-mono-${ctx.backend}`), 'mono');
  const secrets = {
    env: { file: path.join(mono, '.env'), canary: canary(ctx, 'env') },
    dir: { file: path.join(mono, 'secrets', 'x'), canary: canary(ctx, 'secrets') },
    other: { file: path.join(mono, 'packages', 'other', 'src', 'secret.txt'), canary: canary(ctx, 'other') },
  };
  write(
    path.join(mono, 'package.json'),
    JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'] }),
  );
  for (const { file, canary: text } of Object.values(secrets)) write(file, `TOKEN=${text}\n`);
  write(path.join(mono, 'packages', 'other', 'package.json'), JSON.stringify({ name: 'other' }));
  // A workspace package without a name: only its module format is declared.
  write(
    path.join(mono, 'packages', 'srv', 'package.json'),
    JSON.stringify({ private: true, type: 'module' }),
  );
  const script = path.join(mono, 'packages', 'srv', 'dist', 'server.mjs');
  mkdirSync(path.dirname(script), { recursive: true });
  copyFileSync(HOSTILE_SERVER, script);
  publish(path.dirname(mono), ctx.backend);
  return { mono, script, secrets };
}

/** A lone script in a shared directory that also holds other people's files. */
function loneScript(ctx: AttackContext) {
  const shared = tmpRoot(`launch-shared-${ctx.backend}`);
  const secrets = {
    env: { file: path.join(shared, '.env'), canary: canary(ctx, 'env') },
    notes: { file: path.join(shared, 'notes.txt'), canary: canary(ctx, 'notes') },
    nested: { file: path.join(shared, 'project', 'config.json'), canary: canary(ctx, 'nested') },
  };
  for (const { file, canary: text } of Object.values(secrets)) write(file, `${JSON.stringify(text)}\n`);
  const script = path.join(shared, 'server.mjs');
  copyFileSync(HOSTILE_SERVER, script);
  publish(shared, ctx.backend);
  return { shared, script, secrets };
}

/**
 * An npm-style workspace: packages/srv (named) depends on @mono/lib; node_modules links every
 * workspace package (lib and other) the way npm and pnpm do. The server imports @mono/lib, so lib must
 * be mounted; other, the workspace's .env and lib's own .env must not be.
 */
function linkedWorkspace(ctx: AttackContext) {
  const mono = path.join(tmpRoot(`launch-links-${ctx.backend}`), 'mono');
  const secrets = {
    env: { file: path.join(mono, '.env'), canary: canary(ctx, 'env') },
    libEnv: { file: path.join(mono, 'packages', 'lib', '.env'), canary: canary(ctx, 'lib-env') },
    other: { file: path.join(mono, 'packages', 'other', 'index.js'), canary: canary(ctx, 'other') },
  };
  write(
    path.join(mono, 'package.json'),
    JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'] }),
  );
  for (const { file, canary: text } of Object.values(secrets)) write(file, `// ${text}\n`);
  write(
    path.join(mono, 'packages', 'other', 'package.json'),
    JSON.stringify({ name: '@mono/other', main: 'index.js' }),
  );
  write(
    path.join(mono, 'packages', 'lib', 'package.json'),
    JSON.stringify({ name: '@mono/lib', type: 'module', exports: './index.js' }),
  );
  write(path.join(mono, 'packages', 'lib', 'index.js'), 'export const answer = 42;\n');
  const srv = path.join(mono, 'packages', 'srv');
  write(
    path.join(srv, 'package.json'),
    JSON.stringify({ name: '@mono/srv', type: 'module', dependencies: { '@mono/lib': '*' } }),
  );
  copyFileSync(HOSTILE_SERVER, write(path.join(srv, 'dist', 'hostile.mjs'), ''));
  const script = write(
    path.join(srv, 'dist', 'server.mjs'),
    "import { answer } from '@mono/lib';\nif (answer !== 42) process.exit(3);\nawait import('./hostile.mjs');\n",
  );
  mkdirSync(path.join(mono, 'node_modules', '@mono'), { recursive: true });
  for (const name of ['lib', 'other', 'srv'])
    symlinkSync(`../../packages/${name}`, path.join(mono, 'node_modules', '@mono', name));
  publish(path.dirname(mono), ctx.backend);
  return { mono, script, secrets };
}

/** Run the neighbour scenario: the server starts, reads none of the canaries, and explain omits `hidden`. */
async function neighbours(
  ctx: AttackContext,
  layout: { script: string; secrets: Record<string, { file: string; canary: string }> },
  hidden: string[],
  listed: string,
): Promise<string | undefined> {
  const plan = await explain(ctx.backend, [ctx.root], [process.execPath, layout.script, '--root', ctx.root]);
  if (typeof plan === 'string') return plan;
  const mounted = mountedPaths(plan);
  const exposed = mounted.filter((p) => hidden.some((h) => p === h || h.startsWith(`${p}/`)));
  if (exposed.length > 0) return `explain mounts ${exposed.join(', ')}, exposing ${hidden.join(', ')}`;
  let warden: RawWarden;
  try {
    warden = await startScript(ctx, layout.script);
  } catch (error) {
    return `the server did not start: ${(error as Error).message.slice(0, 600)}`;
  }
  const leaked = await tryReads(warden, Object.values(layout.secrets));
  if (leaked) return leaked;
  const names = await tryList(warden, listed);
  if (names?.some((name) => name.startsWith('.') || name === 'secrets' || name === 'notes.txt'))
    return `the server listed ${listed}: ${names.join(', ')}`;
  warden.endInput();
  return undefined;
}

/** Item 12: a root given through a symlink a sandboxed server planted in an earlier rw root. */
async function plantedRootLink(ctx: AttackContext): Promise<string | undefined> {
  const state = tmpRoot(`launch-state-${ctx.backend}`);
  const base = tmpRoot(`launch-plant-${ctx.backend}`);
  const root = path.join(base, 'root');
  const secretDir = path.join(base, 'secret');
  const secretCanary = canary(ctx, 'planted');
  write(path.join(secretDir, 'id_rsa'), `${secretCanary}\n`);
  mkdirSync(root);
  publish(base, ctx.backend);
  chmodSync(root, 0o777);
  const env = wardenEnv(state);
  const command = [process.execPath, HOSTILE_SERVER, '--root', root];
  const future = path.join(root, 'future');

  // Session 1: the server plants ROOT/future → ../secret (the host plants it when a backend refuses).
  const first = spawnWardenRaw(runArgs({ profile: ctx.backend, roots: [root], command }), { env });
  try {
    await initializeRaw(first);
    await first.request(
      'plant',
      'tools/call',
      {
        name: 'probe',
        arguments: { b64: b64(JSON.stringify({ op: 'symlink', target: '../secret', path: future })) },
      },
      30_000,
    );
  } catch (error) {
    return `session 1 failed: ${(error as Error).message.slice(0, 400)}`;
  }
  first.endInput();
  await first.exit;
  if (!existsSync(future)) symlinkSync('../secret', future);

  // Session 2: --root ROOT/future must be refused, naming the link and how to confirm it.
  const second = spawnWardenRaw(runArgs({ profile: ctx.backend, roots: [future], command }), { env });
  const status = await Promise.race([
    second.exit,
    new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 30_000)),
  ]);
  if (status === 'running' || status.code !== 2) {
    let leaked = '';
    if (status === 'running') {
      await initializeRaw(second).catch(() => undefined);
      const read = await tryReads(second, [
        { file: path.join(future, 'id_rsa'), canary: secretCanary },
      ]).catch(() => undefined);
      leaked = read ? ` and ${read}` : '';
    }
    return `--root through the planted link was not refused (exit ${JSON.stringify(status)})${leaked}`;
  }
  const stderr = second.stderr();
  if (!stderr.includes(future) || !stderr.includes('--allow-root-symlink'))
    return `the refusal does not name the link and the confirmation: ${stderr.slice(0, 500)}`;
  if (second.stdoutBytes() > 0) return 'the refused warden wrote to stdout';

  // explain refuses it the same way; confirmed, it starts and says where the root really is.
  const plan = await explain(ctx.backend, [future], command, env);
  if (typeof plan !== 'string') return 'explain accepted the planted link';
  const audit = path.join(state, 'audit.log');
  const third = spawnWardenRaw(
    runArgs({
      profile: ctx.backend,
      roots: [future],
      command,
      auditLog: audit,
      extraArgs: ['--allow-root-symlink', future],
    }),
    { env },
  );
  try {
    await initializeRaw(third);
  } catch (error) {
    return `the confirmed root did not start: ${(error as Error).message.slice(0, 400)}`;
  }
  third.endInput();
  await third.exit;
  if (!third.stderr().includes(`${future} → ${secretDir}`))
    return `the confirmed session did not report the real path on stderr: ${third.stderr().slice(0, 400)}`;
  const log = readFileSync(audit, 'utf8');
  if (!log.includes('"root.resolved"') || !log.includes(secretDir))
    return 'the audit log does not record the root’s real path';
  return undefined;
}

export const LAUNCH_CONTAINMENT_CASES: AttackCase[] = [
  {
    id: 'containment.launch-workspace-neighbours',
    family: 'containment',
    title: 'a server in a nameless workspace package reads the monorepo’s .env, secrets/ and other packages',
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (ctx) => {
        const layout = nestedWorkspace(ctx);
        return neighbours(
          ctx,
          layout,
          [layout.mono, ...Object.values(layout.secrets).map((s) => s.file)],
          layout.mono,
        );
      },
    },
    expect: {
      kind: 'contained',
      what: 'the server starts; mono/, its .env, secrets/ and packages/other are not mounted; explain does not list them',
    },
  },
  {
    id: 'containment.launch-lone-script-neighbours',
    family: 'containment',
    title: 'a lone script in a shared directory reads its neighbours',
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (ctx) => {
        const layout = loneScript(ctx);
        return neighbours(
          ctx,
          layout,
          [layout.shared, ...Object.values(layout.secrets).map((s) => s.file)],
          layout.shared,
        );
      },
    },
    expect: {
      kind: 'contained',
      what: 'only the script itself is mounted; its directory’s other files are not',
    },
  },
  {
    id: 'containment.launch-workspace-links',
    family: 'containment',
    title: 'a workspace server importing a linked sibling package: only the packages it declares are mounted',
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (ctx) => {
        const layout = linkedWorkspace(ctx);
        return neighbours(
          ctx,
          layout,
          [layout.mono, ...Object.values(layout.secrets).map((s) => s.file)],
          path.join(layout.mono, 'packages'),
        );
      },
    },
    expect: {
      kind: 'contained',
      what: 'the server starts and imports @mono/lib; other packages, lib’s .env and the workspace .env stay unmounted',
    },
  },
  {
    id: 'containment.launch-planted-root-symlink',
    family: 'containment',
    title: 'a symlink a sandboxed server planted in its rw root is a later session’s --root',
    layer: 'policy',
    action: { kind: 'custom', run: plantedRootLink },
    expect: {
      kind: 'contained',
      what: 'exit 2 naming the link and --allow-root-symlink; confirmed, stderr and the audit log give given → real path',
    },
  },
];
