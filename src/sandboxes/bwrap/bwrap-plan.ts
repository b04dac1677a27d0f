import path from 'node:path';
import type { LaunchSpec, SandboxPlan } from '../types.ts';

/** The uid/gid the server runs as inside the sandbox (the conventional "nobody"). */
export const SANDBOX_ID = 65534;

/** Host files a networked server needs for DNS and TLS; each may legitimately be missing. */
const NETWORK_FILES = [
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/nsswitch.conf',
  '/etc/ssl',
  '/etc/ca-certificates',
];

type Mount =
  | { kind: 'proc' | 'dev'; dest: string }
  | { kind: 'tmpfs'; dest: string; sizeBytes: number | undefined }
  | { kind: 'bind' | 'ro-bind' | 'ro-bind-try'; src: string; dest: string };

/**
 * Pure: the bwrap argv for `spec`. The sandbox sees an empty root with only /proc, a minimal /dev,
 * a private /tmp, `spec.readOnlyPaths` (runtime and server code) and the roots, all at their host
 * paths. `bwrapPath` becomes argv[0]. Limits bwrap cannot enforce land in `unenforced`.
 * With `setprivPath`, bwrap is started through `setpriv --pdeathsig KILL`: bwrap arms its own
 * --die-with-parent only after setting up, so a warden killed in those milliseconds would otherwise
 * leak the whole sandbox; undefined means setpriv is missing and bwrap is argv[0].
 */
export function planBwrap(spec: LaunchSpec, bwrapPath: string, setprivPath?: string): SandboxPlan {
  const argv = [
    ...(setprivPath === undefined ? [] : [setprivPath, '--pdeathsig', 'KILL', '--']),
    bwrapPath,
    '--unshare-user',
    '--unshare-pid',
    ...(spec.network ? [] : ['--unshare-net']),
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    // No nested user namespaces: they are a large kernel attack surface and the server needs none.
    '--disable-userns',
    '--die-with-parent',
    // A new session stops the server from injecting keystrokes into the warden's terminal (TIOCSTI).
    '--new-session',
    '--clearenv',
    ...Object.entries(spec.env).flatMap(([name, value]) => ['--setenv', name, value]),
    // Run as root, bwrap maps sandbox uid 65534 to the warden's own host uid (uid_map "65534 0 1"),
    // not to the host's nobody: files in rw roots stay writable exactly when the warden could write
    // them, and nothing more, since capabilities held in the new user namespace never apply to
    // host-owned inodes and all of them are dropped below. Mapping to the host's real nobody would need
    // a privilege drop before bwrap and would make every rw root unwritable.
    '--uid',
    String(SANDBOX_ID),
    '--gid',
    String(SANDBOX_ID),
    '--cap-drop',
    'ALL',
    '--hostname',
    'mcp-warden',
    ...orderMounts(collectMounts(spec)).flatMap(mountArgs),
    // bwrap builds the skeleton (/, and parents such as /usr/lib for file binds) on a tmpfs the sandbox
    // user owns; read-only it leaves /tmp and the rw roots as the only writable places.
    '--remount-ro',
    '/',
    '--chdir',
    spec.cwd,
    '--',
    spec.executable,
    ...spec.args,
  ];
  return {
    backend: 'bwrap',
    argv,
    env: {},
    cwd: spec.cwd,
    notes: [
      'filesystem: only the roots, the runtime and the server code (read-only), private /tmp',
      spec.network
        ? 'network: host network (network allowed by the profile)'
        : 'network: none (new net namespace)',
      'processes: new pid namespace, no host processes visible; killed with the warden (die-with-parent)',
      `user: uid/gid ${SANDBOX_ID} in a new user namespace, all capabilities dropped, no nested user namespaces`,
      'environment: cleared; only the given variables are set (bwrap itself adds PWD, the working directory)',
    ],
    unenforced: [
      ...(spec.limits.memoryMb === undefined
        ? []
        : [`memory ${spec.limits.memoryMb} MB (bwrap has no memory limit)`]),
      ...(spec.limits.cpus === undefined ? [] : [`cpus ${spec.limits.cpus} (bwrap has no cpu limit)`]),
      ...(spec.limits.pids === undefined ? [] : [`pids ${spec.limits.pids} (bwrap has no pids limit)`]),
    ],
  };
}

function collectMounts(spec: LaunchSpec): Mount[] {
  const mounts: Mount[] = [
    { kind: 'proc', dest: '/proc' },
    { kind: 'dev', dest: '/dev' },
    {
      kind: 'tmpfs',
      dest: '/tmp',
      sizeBytes: spec.limits.tmpfsMb === undefined ? undefined : spec.limits.tmpfsMb * 1024 * 1024,
    },
  ];
  const taken = new Set<string>();
  // Roots first so they win over a read-only path at the same destination: they are the user's intent.
  for (const root of spec.roots) {
    const kind = root.readOnly ? 'ro-bind' : 'bind';
    // Bind the resolved directory, so a symlink swapped after start-up cannot redirect the mount,
    // at the path the user gave; and at the real path too, for paths the server resolves itself.
    for (const dest of new Set([root.path, root.realPath])) {
      if (taken.has(dest)) continue;
      taken.add(dest);
      mounts.push({ kind, src: root.realPath, dest });
    }
  }
  for (const file of spec.readOnlyPaths) {
    if (taken.has(file)) continue;
    taken.add(file);
    mounts.push({ kind: 'ro-bind', src: file, dest: file });
  }
  if (spec.network) {
    for (const file of NETWORK_FILES) {
      if (!taken.has(file)) mounts.push({ kind: 'ro-bind-try', src: file, dest: file });
    }
  }
  return mounts;
}

/** Parents before children (fewer path components first); stable, so ties keep collection order. */
function orderMounts(mounts: Mount[]): Mount[] {
  const depth = (dest: string): number => path.posix.normalize(dest).split('/').filter(Boolean).length;
  return mounts
    .map((mount, index) => ({ mount, index }))
    .sort((a, b) => depth(a.mount.dest) - depth(b.mount.dest) || a.index - b.index)
    .map(({ mount }) => mount);
}

function mountArgs(mount: Mount): string[] {
  switch (mount.kind) {
    case 'proc':
    case 'dev':
      return [`--${mount.kind}`, mount.dest];
    case 'tmpfs':
      // bwrap's --size applies to the *next* --tmpfs, so it must come first.
      return [
        ...(mount.sizeBytes === undefined ? [] : ['--size', String(mount.sizeBytes)]),
        '--tmpfs',
        mount.dest,
      ];
    default:
      return [`--${mount.kind}`, mount.src, mount.dest];
  }
}
