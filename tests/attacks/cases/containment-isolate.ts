// Issue 20 items 3, 4, 9, 10, 11: what the isolate's host side did for the guest with the warden's own
// rights. Numeric open flags bypassed `:ro` (O_TRUNC, O_CREAT were not "writes"); copies, creation
// modes and chmod could plant setuid files owned by root; a recursive readdir walked the host through
// planted links and loops; a guest ignoring `drain` grew the host without bound; the host's config,
// --env values included, sat in its argv for every local user to read.
// Fix: one open-flag classifier (every creating/truncating/appending/writing flag is a write → EROFS in
// read-only places), special mode bits refused (EPERM) and never copied, recursion in the guest with one
// checked readdir per directory and no link followed, output the client has not read counted against
// the memory limit, the config in the host's environment. The OS-agnostic cases (read-only roots and
// the package) run on every sandbox and must hold there too.
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../helpers/warden.ts';
import type { AttackCase, AttackContext, BackendName } from '../types.ts';
import { descendantCmdlines, floodScenario, startIsolateFixture } from './isolate-scenarios.ts';
import { inPrivateTmp, probe } from './containment.ts';

type Result = Record<string, unknown>;

/** Linux open(2) flags (the same numbers on x86_64 and aarch64). */
const O = { RDONLY: 0, WRONLY: 1, CREAT: 0o100, EXCL: 0o200, TRUNC: 0o1000, APPEND: 0o2000 } as const;

const SHIM_ONLY =
  'exercises the isolate fs shim, which runs on the host with the warden’s rights; on this backend the kernel answers these calls inside the sandbox (cross-backend setuid cases: setuid.ts)';
const WALK_INSIDE =
  'the walk runs inside the sandbox here: a loop costs only the server its own CPU (request timeout), never the host';
const NO_HOST_QUEUE =
  'the server writes to a kernel pipe here: a writer that ignores backpressure grows only its own memory, inside the sandbox’s limits';
const ARGV_BWRAP = 'bwrap’s --setenv is covered by containment-bwrap.ts';

const isolateOnly = (reason: string): Partial<Record<BackendName, string>> => ({
  bwrap: reason,
  docker: reason,
  gvisor: reason,
});

/** The probe failed like a read-only mount (EROFS; containers may answer EACCES first as nobody). */
function refusedReadOnly(r: Result, ctx: AttackContext, target?: string): string | undefined {
  // Under /tmp (a checkout CI cloned there) the package's directory is a mount point in the sandbox's
  // private /tmp: a file created there stays in the sandbox (absent() checked the host).
  if (r.ok !== false && target !== undefined && inPrivateTmp(target, ctx)) return undefined;
  if (r.ok !== false) return `succeeded: ${JSON.stringify(r).slice(0, 200)}`;
  const containers = ctx.backend === 'docker' || ctx.backend === 'gvisor';
  // isolate: a package mounted entry by entry leaves its directory outside every allowed place (EACCES).
  const notAPlace = containers || (ctx.backend === 'isolate' && target !== undefined);
  if (r.code === 'EROFS' || (notAPlace && r.code === 'EACCES')) return undefined;
  return `failed with ${String(r.code)}, expected EROFS as from a read-only mount`;
}

/** `file` must not exist on the host afterwards (removed if it does, so a failure cannot linger). */
function absent(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  rmSync(file, { force: true, recursive: true });
  return `${file} was created on the host`;
}

/** `file`, if it exists, must carry no setuid/setgid/sticky bit (checked on the host). */
function noSpecialBits(file: string): string | undefined {
  let mode: number;
  try {
    mode = lstatSync(file).mode;
  } catch {
    return undefined;
  }
  rmSync(file, { force: true, recursive: true });
  return (mode & 0o7000) === 0
    ? undefined
    : `${file} has mode ${(mode & 0o7777).toString(8)} on the host (setuid/setgid/sticky)`;
}

const plantedInPackage = (ctx: AttackContext): string =>
  path.join(PROJECT_ROOT, 'tests', 'fixtures', `planted-by-${ctx.backend}-server`);

/** A directory in the root with a link out of every root and a link back to itself. */
function walkDir(ctx: AttackContext, name: string, loops: number): string {
  const dir = path.join(ctx.root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'inside.txt'), 'inside\n');
  symlinkSync(ctx.secret.dir, path.join(dir, 'out'));
  for (let i = 0; i < loops; i++) symlinkSync('.', path.join(dir, `loop${i}`));
  return dir;
}

export const ISOLATE_CONTAINMENT_CASES: AttackCase[] = [
  // ---- item 4: numeric flags are writes too ----
  probe(
    'ro-open-rdonly-trunc',
    'open(RO/ro.txt, O_RDONLY|O_TRUNC) on a :ro root',
    (ctx) => ({ op: 'openFlags', path: path.join(ctx.ro, 'ro.txt'), flags: O.RDONLY | O.TRUNC }),
    'EROFS; the file keeps its content',
    (r, ctx) => {
      const text = readFileSync(path.join(ctx.ro, 'ro.txt'), 'utf8');
      if (text !== 'read only\n') {
        writeFileSync(path.join(ctx.ro, 'ro.txt'), 'read only\n');
        return `the :ro file was truncated (now ${JSON.stringify(text)})`;
      }
      return refusedReadOnly(r, ctx);
    },
  ),
  probe(
    'ro-open-rdonly-creat',
    'open(RO/new, O_RDONLY|O_CREAT) on a :ro root',
    (ctx) => ({
      op: 'openFlags',
      path: path.join(ctx.ro, 'created-rdonly'),
      flags: O.RDONLY | O.CREAT,
      mode: 0o644,
    }),
    'EROFS; nothing created',
    (r, ctx) => absent(path.join(ctx.ro, 'created-rdonly')) ?? refusedReadOnly(r, ctx),
  ),
  probe(
    'ro-open-creat-setuid-mode',
    'open(RO/new, O_CREAT|O_EXCL, 04777) on a :ro root',
    (ctx) => ({
      op: 'openFlags',
      path: path.join(ctx.ro, 'created-suid'),
      flags: O.RDONLY | O.CREAT | O.EXCL,
      mode: 0o4777,
    }),
    'refused; nothing created',
    (r, ctx) => {
      const problem = absent(path.join(ctx.ro, 'created-suid'));
      if (problem) return problem;
      return r.ok === false ? undefined : 'succeeded';
    },
  ),
  probe(
    'package-open-creat',
    "open(PACKAGE/new, O_RDONLY|O_CREAT) in the server's own read-only package",
    (ctx) => ({ op: 'openFlags', path: plantedInPackage(ctx), flags: O.RDONLY | O.CREAT, mode: 0o644 }),
    'EROFS; nothing created in the package',
    (r, ctx) => absent(plantedInPackage(ctx)) ?? refusedReadOnly(r, ctx, plantedInPackage(ctx)),
  ),
  probe(
    'ro-open-append-string-flag',
    "open(RO/ro.txt, 'a+') on a :ro root (string flags are classified by the same rule)",
    (ctx) => ({ op: 'openFlags', path: path.join(ctx.ro, 'ro.txt'), flags: 'a+' }),
    'EROFS',
    refusedReadOnly,
  ),

  // ---- item 3 (isolate part): no setuid/setgid/sticky file from the shim ----
  probe(
    'isolate-copyfile-setuid',
    'copyFile of a setuid file inside the rw root (libuv copies the source mode)',
    (ctx) => {
      const source = path.join(ctx.root, 'suid-source');
      writeFileSync(source, '#!/bin/sh\nid\n');
      chmodSync(source, 0o4755);
      return { op: 'copyFile', from: source, to: path.join(ctx.root, 'suid-copy') };
    },
    'the copy exists without setuid/setgid/sticky bits (or the copy was refused)',
    (_r, ctx) => {
      rmSync(path.join(ctx.root, 'suid-source'), { force: true });
      return noSpecialBits(path.join(ctx.root, 'suid-copy'));
    },
    { notApplicable: isolateOnly(SHIM_ONLY) },
  ),
  probe(
    'isolate-writefile-setuid-mode',
    'writeFile(ROOT/x, data, {mode: 0o4777}) in the rw root',
    (ctx) => ({ op: 'writeFileMode', path: path.join(ctx.root, 'suid-written'), mode: 0o4777 }),
    'EPERM; no setuid file on the host',
    (r, ctx) =>
      noSpecialBits(path.join(ctx.root, 'suid-written')) ??
      (r.code === 'EPERM' ? undefined : `answered ${String(r.code)}, expected EPERM`),
    { notApplicable: isolateOnly(SHIM_ONLY) },
  ),
  probe(
    'isolate-open-creat-setuid-mode',
    'open(ROOT/x, O_WRONLY|O_CREAT, 04777) in the rw root',
    (ctx) => ({
      op: 'openFlags',
      path: path.join(ctx.root, 'suid-opened'),
      flags: O.WRONLY | O.CREAT,
      mode: 0o4777,
    }),
    'EPERM; no setuid file on the host',
    (r, ctx) =>
      noSpecialBits(path.join(ctx.root, 'suid-opened')) ??
      (r.code === 'EPERM' ? undefined : `answered ${String(r.code)}, expected EPERM`),
    { notApplicable: isolateOnly(SHIM_ONLY) },
  ),
  probe(
    'isolate-mkdir-setgid-mode',
    'mkdir(ROOT/d, {mode: 0o3777}) in the rw root',
    (ctx) => ({ op: 'mkdirMode', path: path.join(ctx.root, 'sgid-dir'), mode: 0o3777 }),
    'EPERM; no setgid/sticky directory on the host',
    (r, ctx) =>
      noSpecialBits(path.join(ctx.root, 'sgid-dir')) ??
      (r.code === 'EPERM' ? undefined : `answered ${String(r.code)}, expected EPERM`),
    { notApplicable: isolateOnly(SHIM_ONLY) },
  ),

  // ---- item 9: recursive readdir never follows links ----
  probe(
    'readdir-recursive-link-out',
    'readdirSync(ROOT/walk, {recursive: true}) with a planted link out of the roots',
    (ctx) => ({ op: 'readdirRecursive', path: walkDir(ctx, 'walk-out', 1) }),
    'the listing names nothing outside the roots',
    (r, ctx) => {
      const listed = JSON.stringify(r.entries ?? []);
      if (listed.includes(path.basename(ctx.secret.file)) || listed.includes('agent.sock'))
        return `listed the outside directory: ${listed.slice(0, 200)}`;
      return r.ok === false ? `failed: ${String(r.code)} ${String(r.message)}` : undefined;
    },
  ),
  probe(
    'readdir-recursive-loops',
    'readdirSync(ROOT/loops, {recursive: true}) with two links back to the directory itself',
    (ctx) => ({ op: 'readdirRecursive', path: walkDir(ctx, 'walk-loops', 2) }),
    'a short listing of what is really there (links listed, not followed)',
    (r) => {
      if (r.ok === false) return `failed: ${String(r.code)} ${String(r.message)}`;
      return Number(r.count) <= 10 ? undefined : `listed ${String(r.count)} names for 4 entries`;
    },
    { notApplicable: isolateOnly(WALK_INSIDE) },
  ),

  // ---- item 10: output the client does not read is bounded ----
  {
    id: 'containment.isolate-stdout-ignores-drain',
    family: 'containment',
    title: 'a guest writing 600 MB to stdout without waiting for drain while the client reads nothing',
    layer: 'os',
    action: { kind: 'custom', run: (ctx) => floodScenario(ctx) },
    expect: {
      kind: 'contained',
      what: 'the host process stays near its limit and ends with -32002 sandbox.limit, exit 70',
    },
    notApplicable: isolateOnly(NO_HOST_QUEUE),
  },

  // ---- item 11: --env values never in argv ----
  {
    id: 'containment.env-values-not-in-argv',
    family: 'containment',
    title: '--env SECRET_TOKEN=<canary>: no descendant of the warden has it in /proc/PID/cmdline',
    layer: 'os',
    action: {
      kind: 'custom',
      run: async (ctx) => {
        const canary = `argv-canary-${ctx.mark()}`;
        const inline = await startIsolateFixture(ctx, { envArgs: ['--env', `SECRET_TOKEN=${canary}`] });
        try {
          // The warden's own argv holds what its caller wrote there; everything it started must not.
          const leaked = descendantCmdlines(inline.child.pid as number).filter((p) =>
            p.cmdline.includes(canary),
          );
          if (leaked.length > 0)
            return `in the argv of ${leaked.map((p) => `${p.pid} (${p.cmdline.slice(0, 80)})`).join(', ')}`;
        } finally {
          inline.endInput();
        }
        const inherited = await startIsolateFixture(ctx, {
          envArgs: ['--env', 'SECRET_TOKEN'],
          wardenEnv: { SECRET_TOKEN: canary },
        });
        try {
          const pid = inherited.child.pid as number;
          const leaked = [{ pid, cmdline: readCmdline(pid) }, ...descendantCmdlines(pid)].filter((p) =>
            p.cmdline.includes(canary),
          );
          return leaked.length > 0 ? `in the argv of ${leaked.map((p) => p.pid).join(', ')}` : undefined;
        } finally {
          inherited.endInput();
        }
      },
    },
    expect: { kind: 'contained', what: 'the canary is in no cmdline of the warden or its descendants' },
    notApplicable: { bwrap: ARGV_BWRAP },
  },
];

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
