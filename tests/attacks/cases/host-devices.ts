// The host's device nodes.
//
// Issue: with the warden running as root, bwrap maps the sandbox user to host uid 0, and `--dev /dev`
// binds the host's /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom and /dev/tty into the
// sandbox: the server owned them, so chmod, chown and utimes reached the host's inodes (the seccomp
// filter only refuses setuid/setgid/sticky modes). `chmod 600 /dev/null` inside broke /dev/null for the
// whole host. Fix: a root warden's bwrap sandbox gets private copies of those nodes (same device
// numbers, mode 0666) owned by a uid it is not mapped to, bound over the host's
// (src/sandboxes/bwrap/private-devices.ts): they open as before; chmod, chown and utimes answer EPERM.
// The /proc files masked with /dev/null are read-only binds (EROFS). Containers have /dev nodes of
// their own; an isolate has no /dev. The probe sets each node's current mode, owner and times (harmless
// even where it lands: on `none`, run by root, it does, which is the control), then the host checks that
// no call succeeded on one of its own inodes and that owner and mode are unchanged. ctime is compared
// by tests/integration/sandboxes/bwrap-host-devices.test.ts, which does not share the host with the
// `none` control.
import { existsSync, statSync } from 'node:fs';
import type { AttackCase, AttackContext, Check } from '../types.ts';

type Result = Record<string, unknown>;

/** The nodes bwrap's --dev binds from the host, and a /proc file masked by binding /dev/null. */
const PATHS = [
  '/dev/null',
  '/dev/zero',
  '/dev/full',
  '/dev/random',
  '/dev/urandom',
  '/dev/tty',
  '/proc/keys',
];
const HOST_NODES = PATHS.filter((file) => file.startsWith('/dev/') && existsSync(file));
const CHANGES = ['chmod', 'chown', 'utimes', 'fchmod'] as const;

/** Owner and mode of each host node, taken when the probe is sent. */
const before = new WeakMap<AttackContext, Record<string, string>>();

function ownersAndModes(): Record<string, string> {
  return Object.fromEntries(
    HOST_NODES.map((file) => {
      const stat = statSync(file);
      return [file, `${stat.uid}:${stat.gid} mode ${(stat.mode & 0o7777).toString(8)}`];
    }),
  );
}

const hostUntouched: Check<Result> = (r, ctx) => {
  const problems: string[] = [];
  const after = ownersAndModes();
  for (const [file, was] of Object.entries(before.get(ctx) ?? {})) {
    if (after[file] !== was) problems.push(`the host's ${file} changed from ${was} to ${after[file]}`);
  }
  if (r.ok === false) {
    // An isolate has no /dev to probe (its fs shims refuse the paths); everywhere else the probe must run.
    return ctx.backend === 'isolate' && problems.length === 0
      ? undefined
      : [...problems, `the probe did not run: ${JSON.stringify(r).slice(0, 300)}`].join('; ');
  }
  const hostIds = new Map(
    HOST_NODES.map((file) => {
      const stat = statSync(file);
      return [`${stat.dev}:${stat.ino}`, file];
    }),
  );
  const nodes = (r.nodes ?? {}) as Record<string, Record<string, unknown>>;
  for (const [inside, tried] of Object.entries(nodes)) {
    const host = hostIds.get(`${String(tried.dev)}:${String(tried.ino)}`);
    const done = CHANGES.filter((change) => tried[change] === 'ok');
    if (host !== undefined && done.length > 0)
      problems.push(`${done.join(', ')} of ${inside} reached the host's ${host}`);
  }
  const use = (r.use ?? {}) as Record<string, unknown>;
  const broken = Object.entries(use).filter(([, outcome]) => outcome !== 'ok');
  if (ctx.backend !== 'isolate' && (Object.keys(use).length === 0 || broken.length > 0))
    problems.push(`the sandbox's device nodes do not work: ${JSON.stringify(use)}`);
  return problems.length === 0 ? undefined : problems.join('; ');
};

export const HOST_DEVICE_CASES: AttackCase[] = [
  {
    id: 'containment.chmod-host-device',
    family: 'containment',
    title:
      'chmod, chown, utimes and fchmod /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, /dev/tty and /proc/keys (as root, bwrap’s sandbox user owned the host’s)',
    layer: 'os',
    action: {
      kind: 'probe',
      probe: (ctx) => {
        before.set(ctx, ownersAndModes());
        return { op: 'deviceNodes', paths: PATHS };
      },
    },
    expect: {
      kind: 'contained',
      what: 'no call reaches a host inode (EPERM or EROFS, or the sandbox’s own /dev); the host nodes keep owner and mode; /dev/null, /dev/zero, /dev/urandom still work inside',
      check: hostUntouched,
    },
  },
];
