// Setuid/setgid/sticky files planted in roots (issue 20 item 3).
//
// Issue: with the warden running as root, bwrap maps the sandbox user to host root; the server copied
// a binary into a rw root and set mode 6755, and on the host it was -rwsr-sr-x root: any local user
// became root with it. Mounting the roots nosuid inside does not help: the host sees the bit.
// Fix: the seccomp filter (src/sandboxes/seccomp/syscall-rules.ts, MODE_GUARDED_SYSCALLS) refuses with
// EPERM every chmod/fchmod/fchmodat/fchmodat2/creat/mkdir/mknod, and open/openat with O_CREAT or
// O_TMPFILE, whose mode has a setuid, setgid or sticky bit; openat2 (mode behind a pointer) is ENOSYS.
// bwrap loads it as BPF, docker/gvisor as their seccomp profile, and the isolate's fs shims refuse the
// same modes. Each case makes the server try one way, then checks FROM THE HOST that no file anywhere
// in the root carries such a bit (the fixture's own root-owned suid-sysprobe, made by the harness,
// excepted) and that the call itself was refused.
import { lstatSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AttackCase, AttackContext, Check } from '../types.ts';

type Result = Record<string, unknown>;

const SPECIAL_BITS = 0o7000;
const O_CREAT = 0o100;
const O_WRONLY = 1;

/**
 * Every file under `root` (symlinks not followed) whose mode has a setuid/setgid/sticky bit, except
 * the inode of the harness's suid probe. Offenders are removed, so that each case is judged alone.
 */
function plantedSpecialFiles(ctx: AttackContext): string[] {
  const harness = ctx.suidProbe === undefined ? undefined : statSync(ctx.suidProbe);
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      let stat;
      try {
        stat = lstatSync(file);
      } catch {
        continue;
      }
      if (stat.isSymbolicLink()) continue;
      const own = harness !== undefined && stat.ino === harness.ino && stat.dev === harness.dev;
      if ((stat.mode & SPECIAL_BITS) !== 0 && !own) {
        found.push(`${path.relative(ctx.root, file)} ${(stat.mode & 0o7777).toString(8)} uid ${stat.uid}`);
      }
      if (stat.isDirectory()) walk(file);
    }
  };
  walk(ctx.root);
  for (const entry of found) {
    rmSync(path.join(ctx.root, entry.split(' ')[0] as string), { recursive: true, force: true });
  }
  return found;
}

/** The call was refused inside, and the host sees no special bit in the root. */
const refusedAndClean: Check<Result> = (r, ctx) => {
  const planted = plantedSpecialFiles(ctx);
  if (planted.length > 0)
    return `the host sees setuid/setgid/sticky files in the root: ${planted.join(', ')}`;
  if (r.ok !== false) return `the call succeeded: ${JSON.stringify(r).slice(0, 200)}`;
  return undefined;
};

/** The raw-syscall probe ran and every call was refused; the host sees no special bit in the root. */
const sysprobeRefusedAndClean: Check<Result> = (r, ctx) => {
  const planted = plantedSpecialFiles(ctx);
  if (planted.length > 0)
    return `the host sees setuid/setgid/sticky files in the root: ${planted.join(', ')}`;
  if (r.ok === false)
    return ctx.backend === 'isolate' ? undefined : `the probe did not run: ${JSON.stringify(r)}`;
  const out = JSON.parse(String(r.stdout)) as Record<string, string | number>;
  if (out.euid === 0) return `running as root inside: ${JSON.stringify(out)}`;
  const done = Object.entries(out).filter(([, v]) => v === 'ok');
  return done.length === 0
    ? undefined
    : `succeeded: ${done.map(([k]) => k).join(', ')} (${JSON.stringify(out)})`;
};

function setuidCase(
  id: string,
  title: string,
  probe: (ctx: AttackContext, file: string) => Result,
  extra: Partial<AttackCase> = {},
): AttackCase {
  return {
    id: `setuid.${id}`,
    family: 'setuid',
    title,
    layer: 'os',
    action: { kind: 'probe', probe: (ctx) => probe(ctx, path.join(ctx.root, `setuid-${id}-${ctx.mark()}`)) },
    expect: {
      kind: 'contained',
      what: 'refused (EPERM); no file in the root carries a setuid, setgid or sticky bit on the host',
      check: refusedAndClean,
    },
    ...extra,
  };
}

const plantMode =
  (mode: number, how: 'chmod' | 'fchmod' | 'mkdir' = 'chmod') =>
  (_ctx: AttackContext, file: string): Result => ({ op: 'plantMode', path: file, mode, how });

export const SETUID_CASES: AttackCase[] = [
  setuidCase('chmod-6755', 'create a file in the rw root, chmod 06755', plantMode(0o6755)),
  setuidCase('chmod-4755', 'create a file in the rw root, chmod 04755', plantMode(0o4755)),
  setuidCase('chmod-2755', 'create a file in the rw root, chmod 02755', plantMode(0o2755)),
  setuidCase('chmod-1777-dir', 'create a directory in the rw root, chmod 01777', plantMode(0o1777, 'mkdir')),
  setuidCase(
    'fchmod-6755',
    'create a file in the rw root, fchmod 06755 through a descriptor',
    plantMode(0o6755, 'fchmod'),
  ),
  setuidCase('open-creat-4777', 'open(O_CREAT|O_WRONLY, 04777) a new file in the rw root', (_c, file) => ({
    op: 'openFlags',
    path: file,
    flags: O_CREAT | O_WRONLY,
    mode: 0o4777,
  })),
  setuidCase('write-file-4755', 'writeFile with mode 04755 (open with O_CREAT and the mode)', (_c, file) => ({
    op: 'writeFileMode',
    path: file,
    mode: 0o4755,
  })),
  setuidCase('mkdir-1777', 'mkdir with mode 01777', (_c, file) => ({
    op: 'mkdirMode',
    path: file,
    mode: 0o1777,
  })),
  setuidCase('mkdir-2777', 'mkdir with mode 02777', (_c, file) => ({
    op: 'mkdirMode',
    path: file,
    mode: 0o2777,
  })),
  setuidCase(
    'copy-binary-6755',
    'copy a binary (the harness’s suid probe) into the rw root and chmod the copy 06755, as cp -p would',
    (ctx, file) => ({
      op: 'plantMode',
      how: 'copy',
      from: ctx.suidProbe ?? ctx.sysprobe,
      path: file,
      mode: 0o6755,
    }),
    {
      requires: (ctx) =>
        ctx.suidProbe || ctx.sysprobe
          ? undefined
          : 'no C compiler with static libc here (gcc -static) to build a binary to copy',
    },
  ),
  {
    id: 'setuid.raw-syscalls',
    family: 'setuid',
    title:
      'raw mknodat(S_IFREG|04755), openat(O_CREAT, 06755), O_TMPFILE 04755 linked in, fchmodat 06755, fchmodat2 04755, mkdirat 01777, chmod 02755',
    layer: 'os',
    action: {
      kind: 'probe',
      probe: (ctx) =>
        ctx.sysprobe
          ? { op: 'exec', file: ctx.sysprobe, args: ['--plant', path.join(ctx.root, 'mnt')] }
          : { op: 'noop' },
    },
    expect: {
      kind: 'contained',
      what: 'every call refused; no special bit on the host',
      check: sysprobeRefusedAndClean,
    },
    requires: (ctx) =>
      ctx.sysprobe ? undefined : 'no C compiler with static libc here (gcc -static) to build the probe',
  },
];
