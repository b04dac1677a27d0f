import path from 'node:path';
import { WardenError } from '../../errors.ts';
import { type SeccompArch, renderSeccompProgram } from '../seccomp/bpf-program.ts';
import type { LaunchSpec, SandboxPlan } from '../types.ts';
import type { PrivateDevices } from './private-devices.ts';

/** The uid/gid the server runs as inside the sandbox (the conventional "nobody"). */
export const SANDBOX_ID = 65534;
/**
 * Cap of the sandbox's /dev/shm in MiB (Docker's default): shared-memory segments, semaphores (Python's
 * multiprocessing), a browser's renderer buffers. A smaller /tmp cap (tmpfsMb) lowers it too.
 */
export const DEV_SHM_MB = 64;
/** Host files that /proc would show the server and that it has no use for: the kernel's key lists. */
export const MASKED_PROC_FILES: readonly string[] = ['/proc/keys', '/proc/key-users'];

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
  | { kind: 'bind' | 'ro-bind' | 'ro-bind-try' | 'dev-bind'; src: string; dest: string };

/** Where bwrap comes from and what it runs on. */
export interface BwrapHost {
  /** argv[0] of bwrap (or of setpriv, below). */
  bwrap: string;
  /**
   * With it, bwrap is started through `setpriv --pdeathsig KILL`: bwrap arms its own --die-with-parent
   * only after setting up, so a warden killed in those milliseconds would otherwise leak the whole
   * sandbox. Undefined: setpriv is missing and bwrap is argv[0].
   */
  setpriv?: string;
  /** The architecture the seccomp program is built for (the warden's own). */
  arch: SeccompArch;
  /**
   * The MASKED_PROC_FILES this kernel has (a kernel without keyrings has no /proc/keys, and bwrap cannot
   * create a mount point inside /proc). Undefined: all of them.
   */
  maskProcFiles?: readonly string[];
  /**
   * Device nodes the sandbox gets private copies of (bound over --dev's binds of the host's), because
   * the warden's uid, which the sandbox user maps to, owns the host's: see ./private-devices.ts. The
   * launcher creates them. Undefined: the host's nodes, which the sandbox user does not own.
   */
  privateDevices?: PrivateDevices;
  /**
   * Remount the sandbox's /proc read-only. For a sandbox user mapped to host uid 0 (a root warden):
   * procfs checks sysctl writes against the uid, not capabilities, so /proc/sys/kernel/core_pattern (a
   * program the kernel runs as root on the next crash) and every other writable sysctl would be the
   * host's to set; bwrap's own read-only cover of /proc/sys is skipped in that mapping. Costs the server
   * writes to its own /proc/self (oom_score_adj, comm). Undefined/false: /proc as bwrap mounts it.
   */
  readOnlyProc?: boolean;
}

/** What `explain` shows of an extra descriptor (plan.details.descriptors). */
interface DescriptorInfo {
  fd: number;
  option: string;
  content: string[] | string;
}

/**
 * Pure: the bwrap plan for `spec`. The sandbox sees an empty root with only /proc (its key lists
 * masked), a read-only minimal /dev with a capped /dev/shm, a private /tmp, `spec.readOnlyPaths`
 * (runtime and server code) and the roots, all at their host paths. Two inputs travel on descriptors,
 * never in argv (world-readable in /proc/PID/cmdline): the --setenv arguments on fd 3 (`--args`),
 * and the seccomp program of ../seccomp on the next (`--seccomp`); bwrap closes both before it runs the
 * server. Limits bwrap cannot enforce land in `unenforced`.
 */
export function planBwrap(spec: LaunchSpec, host: BwrapHost): SandboxPlan {
  const inputs: Uint8Array[] = [];
  const descriptors: DescriptorInfo[] = [];
  const passOnFd = (option: string, data: Uint8Array, content: DescriptorInfo['content']): string[] => {
    const fd = 3 + inputs.length;
    inputs.push(data);
    descriptors.push({ fd, option, content });
    return [option, String(fd)];
  };
  const setenv = Object.entries(spec.env).flatMap(([name, value]) => {
    // A NUL would end the argument early in the --args stream and let the rest read as bwrap options.
    if (`${name}${value}`.includes('\0'))
      throw new WardenError('config', `environment variable ${JSON.stringify(name)} contains a NUL byte`);
    return ['--setenv', name, value];
  });
  const envArgs =
    setenv.length === 0
      ? []
      : passOnFd(
          '--args',
          // --args: NUL-terminated arguments, parsed as if they stood here in argv.
          Buffer.from(setenv.map((arg) => `${arg}\0`).join(''), 'utf8'),
          Object.keys(spec.env).flatMap((name) => ['--setenv', name, '<redacted>']),
        );
  const program = renderSeccompProgram(host.arch);
  const seccompArgs = passOnFd(
    '--seccomp',
    program,
    `${host.arch} classic BPF, ${program.length / 8} instructions, sha256 ${process.getBuiltinModule('node:crypto').createHash('sha256').update(program).digest('hex')}`,
  );
  const handoff = spec.egress?.relay === undefined ? undefined : { socketPath: spec.egress.socketPath };
  const argv = [
    ...(host.setpriv === undefined ? [] : [host.setpriv, '--pdeathsig', 'KILL', '--']),
    host.bwrap,
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
    ...envArgs,
    // Keyrings (the warden's session keyring is inherited), tracing, BPF, io_uring, mounts... answer
    // EPERM; no setuid/setgid/sticky mode can be set (a rw root is the host's: a file made setuid there
    // is setuid on the host); a call through another ABI kills the process. See ../seccomp.
    ...seccompArgs,
    // The egress relay's IPC channel to the warden (not a secret): it hands its listener over and
    // closes the channel before the server runs.
    ...(handoff === undefined
      ? []
      : [
          '--setenv',
          'NODE_CHANNEL_FD',
          String(3 + inputs.length),
          '--setenv',
          'NODE_CHANNEL_SERIALIZATION_MODE',
          'json',
        ]),
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
    ...orderMounts(collectMounts(spec, host.maskProcFiles ?? MASKED_PROC_FILES, host.privateDevices)).flatMap(
      mountArgs,
    ),
    // bwrap builds the skeleton (/, and parents such as /usr/lib for file binds) on a tmpfs the sandbox
    // user owns; read-only it leaves /tmp, /dev/shm and the rw roots as the only writable places. /dev
    // is a tmpfs of its own (uncapped): read-only too, its device nodes are bind mounts and still work.
    '--remount-ro',
    '/dev',
    ...(host.readOnlyProc === true ? ['--remount-ro', '/proc'] : []),
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
    inputs,
    ...(handoff === undefined ? {} : { handoff }),
    cwd: spec.cwd,
    notes: [
      `filesystem: only the roots, the runtime and the server code (read-only), private /tmp, /dev read-only with a ${shmMb(spec)} MiB /dev/shm`,
      spec.network
        ? 'network: host network (network allowed by the profile)'
        : 'network: none (new net namespace)',
      ...(spec.egress === undefined
        ? []
        : [
            `network: egress by allowlist: loopback only; the relay opens 127.0.0.1:PORT inside and hands the listener to the warden's proxy over a channel it closes before the server runs (the proxy's socket ${spec.egress.socketPath}, its directory mounted read-only, is the fallback)`,
          ]),
      'processes: new pid namespace, no host processes visible; killed with the warden (die-with-parent)',
      `user: uid/gid ${SANDBOX_ID} in a new user namespace, all capabilities dropped, no nested user namespaces`,
      'environment: cleared; only the given variables are set (bwrap itself adds PWD, the working directory); their values reach bwrap on a descriptor (--args), never in its argv',
      ...(spec.stateHome === undefined
        ? []
        : [`home: ${spec.stateHome.path} (read-write, private to this server, kept across sessions)`]),
      'system calls: seccomp filter: keyrings, ptrace, perf, BPF, io_uring, userfaultfd, mounts, namespaces, modules, clocks answer EPERM; setuid/setgid/sticky modes are refused; other ABIs (i386, x32) kill the process',
      'descriptors: the server gets only stdin, stdout and stderr (the warden closes what it inherited; bwrap closes its --args and --seccomp descriptors)',
      ...(host.readOnlyProc === true
        ? [
            "proc: read-only: the sandbox user is the warden's uid 0 to procfs, so its writable sysctls (core_pattern...) would be the host's",
          ]
        : []),
      ...(host.privateDevices === undefined || host.privateDevices.nodes.length === 0
        ? []
        : [
            `devices: ${host.privateDevices.nodes.map((node) => `/dev/${node.name}`).join(', ')} are private copies (${host.privateDevices.dir}) owned by a uid the sandbox is not mapped to: the host's belong to the warden's uid, which the sandbox user maps to, and could be chmodded from inside`,
          ]),
    ],
    unenforced: [
      ...(spec.limits.memoryMb === undefined
        ? []
        : [`memory ${spec.limits.memoryMb} MB (bwrap has no memory limit)`]),
      ...(spec.limits.cpus === undefined ? [] : [`cpus ${spec.limits.cpus} (bwrap has no cpu limit)`]),
      ...(spec.limits.pids === undefined ? [] : [`pids ${spec.limits.pids} (bwrap has no pids limit)`]),
    ],
    details: {
      descriptors,
      ...(host.privateDevices === undefined ? {} : { privateDevices: host.privateDevices }),
    },
  };
}

/** The /dev/shm cap: DEV_SHM_MB, or the /tmp cap when that is smaller. */
function shmMb(spec: LaunchSpec): number {
  return Math.min(DEV_SHM_MB, spec.limits.tmpfsMb ?? DEV_SHM_MB);
}

function collectMounts(
  spec: LaunchSpec,
  maskProcFiles: readonly string[],
  devices: PrivateDevices | undefined,
): Mount[] {
  const privateNode = (name: string): string | undefined =>
    devices?.nodes.some((node) => node.name === name) === true ? path.join(devices.dir, name) : undefined;
  const mounts: Mount[] = [
    { kind: 'proc', dest: '/proc' },
    { kind: 'dev', dest: '/dev' },
    // Over --dev's binds of the host's nodes; rw (a read-only bind is nodev: they could not be opened).
    ...(devices === undefined
      ? []
      : devices.nodes.map((node): Mount => ({
          kind: 'dev-bind',
          src: path.join(devices.dir, node.name),
          dest: `/dev/${node.name}`,
        }))),
    {
      kind: 'tmpfs',
      dest: '/tmp',
      sizeBytes: spec.limits.tmpfsMb === undefined ? undefined : spec.limits.tmpfsMb * 1024 * 1024,
    },
    // --dev's /dev/shm is a directory of the uncapped /dev tmpfs: 1 GiB written there was 1 GiB of host
    // shared memory. A capped tmpfs of its own instead; /dev itself is remounted read-only.
    { kind: 'tmpfs', dest: '/dev/shm', sizeBytes: shmMb(spec) * 1024 * 1024 },
    // Read-only, so not even the host's /dev/null could be chmodded through these (EROFS).
    ...maskProcFiles.map((dest): Mount => ({
      kind: 'ro-bind',
      src: privateNode('null') ?? '/dev/null',
      dest,
    })),
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
  // The server's state home (its HOME): read-write, at its own path.
  if (spec.stateHome !== undefined && !taken.has(spec.stateHome.path)) {
    taken.add(spec.stateHome.path);
    mounts.push({ kind: 'bind', src: spec.stateHome.path, dest: spec.stateHome.path });
  }
  for (const file of spec.readOnlyPaths) {
    if (taken.has(file)) continue;
    taken.add(file);
    mounts.push({ kind: 'ro-bind', src: file, dest: file });
  }
  // Egress by allowlist: the proxy's socket directory (no resolver files: names resolve at the proxy).
  if (spec.egress !== undefined && !taken.has(spec.egress.socketDir)) {
    taken.add(spec.egress.socketDir);
    mounts.push({ kind: 'ro-bind', src: spec.egress.socketDir, dest: spec.egress.socketDir });
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
