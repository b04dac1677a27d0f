import path from 'node:path';
import { WardenError } from '../../errors.ts';
import { dockerSeccompOption } from '../seccomp/docker-profile.ts';
import type { LaunchSpec, Limits, SandboxPlan } from '../types.ts';
import { containerCommand } from './container-command.ts';
import { containerMaskedPaths } from './masked-paths.ts';
import { BACKEND_LABEL, OWNER_LABEL } from './owner.ts';

/** The two container backends: the same hardening, runc (host kernel) or runsc (gVisor). */
export type ContainerBackendName = 'docker' | 'gvisor';

/** Where node lives inside the runtime image, whatever its path on the host. */
export const IMAGE_NODE = '/usr/local/bin/node';

/** Limits applied when the profile sets none: a container is never unlimited. */
export const DEFAULT_CONTAINER_LIMITS: Readonly<Required<Limits>> = {
  memoryMb: 512,
  cpus: 1,
  // gVisor's ptrace platform needs host threads of its own inside the same pids cgroup (see profiles).
  pids: 256,
  tmpfsMb: 64,
};

/** The runtime image a container starts from (src/sandboxes/docker/image). */
export interface ImageRef {
  /** Content-addressed tag, e.g. mcp-warden/node:1f2e3d4c5b6a7980-2 */
  tag: string;
  /** Host realpath of the node binary the image was built from; undefined: the image has no node. */
  nodeRealPath: string | undefined;
}

export interface ContainerPlanOptions {
  backend: ContainerBackendName;
  image: ImageRef;
  /** Host realpath of spec.executable (the planner is pure: the caller resolves it). */
  executableRealPath: string;
  /**
   * Host realpath of the server's own program when the egress relay runs in front of it
   * (spec.args[spec.egress.relay.programIndex]); undefined otherwise.
   */
  programRealPath?: string;
  /** uid:gid the server runs as; never 0 (see containerUser). */
  user: { uid: number; gid: number };
  /** Value of the owner label (owner.ts formatOwner). */
  owner: string;
  /** Host-specific paths to mask besides the fixed list (masked-paths.ts thermalThrottlePaths); default none. */
  hostMaskedPaths?: readonly string[];
}

/** One bind mount of the container spec (the Docker Engine API `Mount` object). */
export interface BindMount {
  Type: 'bind';
  Source: string;
  Target: string;
  ReadOnly: boolean;
  BindOptions: { Propagation: 'rprivate' };
}

/**
 * The Docker Engine API body for POST /containers/create: exactly what the warden sends (dockerode
 * passes it through), so `explain` shows the real thing.
 */
export interface ContainerCreateBody {
  Image: string;
  Cmd: string[];
  Entrypoint: string[];
  Env: string[];
  User: string;
  WorkingDir: string;
  Hostname: string;
  Labels: Record<string, string>;
  AttachStdin: true;
  AttachStdout: true;
  AttachStderr: true;
  OpenStdin: true;
  StdinOnce: true;
  Tty: false;
  NetworkDisabled: boolean;
  StopSignal: 'SIGTERM';
  HostConfig: {
    Runtime: 'runc' | 'runsc';
    NetworkMode: 'none' | 'bridge';
    ReadonlyRootfs: true;
    Tmpfs: Record<string, string>;
    Mounts: BindMount[];
    CapDrop: ['ALL'];
    CapAdd: [];
    SecurityOpt: string[];
    MaskedPaths: string[];
    Privileged: false;
    Init: true;
    IpcMode: 'private';
    PidMode: '';
    UsernsMode: '';
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    PidsLimit: number;
    Ulimits: Array<{ Name: string; Soft: number; Hard: number }>;
    LogConfig: { Type: 'none'; Config: Record<string, never> };
    AutoRemove: false;
    Devices: [];
  };
}

const MiB = 1024 * 1024;
/** Host tasks gVisor spends per bind mount (gofer threads), added to the pids limit under runsc. */
export const GVISOR_TASKS_PER_MOUNT = 5;

/**
 * Pure: the container that runs `spec`. Hardening on every container: no network, read-only root
 * filesystem, size-capped tmpfs /tmp, non-root user, all capabilities dropped, no-new-privileges, the
 * warden's seccomp profile (Docker's default allowlist narrowed: no keyrings, tracing, io_uring...,
 * no setuid/setgid/sticky modes), memory/CPU/pids limits, private namespaces, no docker socket, an
 * init process that reaps zombies. gvisor is the same container under runtime runsc.
 * Roots are mounted at their own paths; the server's code read-only. When the image already carries
 * the node that `spec` runs, the runtime (binary and libraries) comes from the image, not the host; a
 * profile's own image (spec.containerImage) with a `runtime` replaces the program the same way.
 */
export function planContainer(spec: LaunchSpec, options: ContainerPlanOptions): SandboxPlan {
  // Root in a container is root on the host's files in every mount: refused whoever asks.
  if (options.user.uid === 0) {
    throw new WardenError('internal', 'a container never runs as uid 0 (see containerUser)');
  }
  const limits = { ...DEFAULT_CONTAINER_LIMITS, ...definedOnly(spec.limits) };
  const custom = spec.containerImage;
  if (custom && spec.egress) {
    throw new WardenError(
      'config',
      `a network allowlist cannot be used with the profile's own image ${custom.image}: the egress relay runs on the warden's node, which only the offline image carries`,
      {
        hint: 'remove "container" from the profile (the offline node image is used), or use --profile bwrap',
      },
    );
  }
  const image: ImageRef = custom ? { tag: custom.image, nodeRealPath: undefined } : options.image;
  const command = containerCommand(
    spec,
    { executable: options.executableRealPath, program: options.programRealPath },
    { ...image, nodePath: IMAGE_NODE },
  );
  const [executable = spec.executable, ...args] = command.argv;
  const mounts = orderMounts(collectMounts(spec, command.provided));
  const runsc = options.backend === 'gvisor';
  // Under runsc the cgroup counts gVisor's own host threads too, and its gofer serves every bind mount
  // with threads of its own (measured here: ~4 per mount): the budget grows with the mounts so a
  // server with many files mounted (a Python runtime: ~100) can start, while a fork bomb still hits it.
  const pidsLimit = limits.pids + (runsc ? GVISOR_TASKS_PER_MOUNT * mounts.length : 0);
  // HOME: the server's state home (mounted read-write below) when it has one, else the private /tmp.
  const env = { ...spec.env, HOME: spec.env.HOME ?? '/tmp' };
  const body: ContainerCreateBody = {
    Image: image.tag,
    Cmd: [executable, ...args],
    Entrypoint: [],
    Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
    User: `${options.user.uid}:${options.user.gid}`,
    WorkingDir: spec.cwd,
    Hostname: 'mcp-warden',
    Labels: { [OWNER_LABEL]: options.owner, [BACKEND_LABEL]: options.backend },
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    // The engine closes the server's stdin when the warden's attach ends (a dead warden included).
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: !spec.network,
    StopSignal: 'SIGTERM',
    HostConfig: {
      Runtime: runsc ? 'runsc' : 'runc',
      NetworkMode: spec.network ? 'bridge' : 'none',
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,nosuid,nodev,noexec,size=${limits.tmpfsMb}m,mode=1777` },
      Mounts: mounts,
      CapDrop: ['ALL'],
      CapAdd: [],
      // The warden's own seccomp profile replaces the engine's default (docker-profile.ts).
      SecurityOpt: ['no-new-privileges:true', dockerSeccompOption(runsc ? 'runsc' : 'runc')],
      // Replaces the engine's default list, so it includes it (masked-paths.ts).
      MaskedPaths: containerMaskedPaths(options.hostMaskedPaths ?? []),
      Privileged: false,
      Init: true,
      IpcMode: 'private',
      PidMode: '',
      UsernsMode: '',
      Memory: limits.memoryMb * MiB,
      // Equal to Memory: no swap, so the memory limit is a real limit.
      MemorySwap: limits.memoryMb * MiB,
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit: pidsLimit,
      Ulimits: [{ Name: 'core', Soft: 0, Hard: 0 }],
      // The warden relays stdout/stderr itself; the engine keeps no log (a flood cannot fill its disk).
      LogConfig: { Type: 'none', Config: {} },
      AutoRemove: false,
      Devices: [],
    },
  };
  return {
    backend: options.backend,
    argv: body.Cmd,
    env,
    cwd: spec.cwd,
    notes: [
      runsc
        ? 'kernel: gVisor (runsc) user-space kernel; the host kernel is not reachable from the server'
        : 'kernel: the host kernel (runc)',
      `seccomp: the warden's profile (Docker's default allowlist without keyrings, tracing, io_uring, mounts, namespaces; no setuid/setgid/sticky file modes)${runsc ? ', enforced by the Sentry (runsc --oci-seccomp)' : ''}`,
      custom
        ? `filesystem: read-only image ${custom.image} (from the profile); the roots and the server code mounted at their own paths; private /tmp`
        : 'filesystem: read-only image with node only (no shell, no package manager); the roots and the server code mounted at their own paths; private /tmp',
      spec.network ? 'network: bridge (network allowed by the profile)' : 'network: none',
      ...(spec.egress === undefined
        ? []
        : [
            `network: egress by allowlist: loopback only; a relay inside on 127.0.0.1 forwards to the warden's proxy socket ${spec.egress.socketPath} (its directory bind-mounted read-only, owned by the container's user, mode 0700)${runsc ? '; runsc must run with --host-uds=open to connect to it (checked at launch)' : ''}`,
          ]),
      `masked: ${body.HostConfig.MaskedPaths.length} host-wide /proc and /sys paths (Docker's list, plus /proc/key-users)`,
      `user: ${body.User} (never root), all capabilities dropped, no-new-privileges`,
      `limits: memory ${limits.memoryMb} MiB (no swap), cpus ${limits.cpus}, pids ${limits.pids}${runsc ? ` (+${pidsLimit - limits.pids} host tasks for gVisor's gofer, ${GVISOR_TASKS_PER_MOUNT} per mount)` : ''}, /tmp ${limits.tmpfsMb} MiB`,
      command.note,
      `environment: only the given variables, plus HOME=${env.HOME} and HOSTNAME=mcp-warden (the engine always sets HOSTNAME)`,
      ...(spec.stateHome === undefined
        ? []
        : [`home: ${spec.stateHome.path} (read-write, private to this server, kept across sessions)`]),
    ],
    unenforced:
      runsc && spec.network ? ['network (runsc is registered with --network=none on this host)'] : [],
    // The offline image `launch` builds when the engine lacks it; a profile's own image is never built.
    details: {
      container: body,
      ...(custom ? {} : { offlineImage: image }),
      ...(spec.egress === undefined ? {} : { egressSocket: spec.egress.socketPath }),
    },
    runAs: options.user,
  };
}

/** The uid/gid of nobody: the container user when no one else fits. */
export const NOBODY = { uid: 65534, gid: 65534 } as const;

/**
 * Pure: the uid/gid the server runs as, never root (uid 0). The warden's own when it is not root, so
 * rw roots are writable exactly when the warden could write them. As root: the owner of the first rw
 * root (`rwRootOwners`, in --root order), so files the server creates there belong to the user who owns
 * that root and nobody's files change owner; its group unless that is root's (then nogroup). When the
 * owner is root itself, or there is no rw root: nobody (65534), and rootAccessWarnings says what the
 * server cannot use.
 */
export function containerUser(
  warden: { uid: number; gid: number },
  rwRootOwners: ReadonlyArray<{ uid: number; gid: number }>,
): { uid: number; gid: number } {
  if (warden.uid !== 0) return { uid: warden.uid, gid: warden.gid };
  const owner = rwRootOwners[0];
  if (owner === undefined || owner.uid === 0) return { ...NOBODY };
  return { uid: owner.uid, gid: owner.gid === 0 ? NOBODY.gid : owner.gid };
}

function collectMounts(spec: LaunchSpec, provided: ReadonlySet<string>): BindMount[] {
  const mounts: BindMount[] = [];
  const taken = new Set<string>();
  const add = (source: string, target: string, readOnly: boolean): void => {
    if (taken.has(target)) return;
    taken.add(target);
    mounts.push({
      Type: 'bind',
      Source: source,
      Target: target,
      ReadOnly: readOnly,
      BindOptions: { Propagation: 'rprivate' },
    });
  };
  // Roots first so they win over a read-only path at the same destination: they are the user's intent.
  // The resolved directory is the source (a symlink swapped later cannot redirect the mount), mounted
  // at the given path and at its real path.
  for (const root of spec.roots) {
    for (const target of new Set([root.path, root.realPath])) add(root.realPath, target, root.readOnly);
  }
  // The server's state home (its HOME): read-write, at its own path.
  if (spec.stateHome !== undefined) add(spec.stateHome.path, spec.stateHome.path, false);
  for (const file of spec.readOnlyPaths) if (!provided.has(file)) add(file, file, true);
  // Egress by allowlist: the proxy's socket directory (read-only: connecting needs no write access
  // to the mount, only to the socket, which the proxy gives to the container's user).
  if (spec.egress !== undefined) add(spec.egress.socketDir, spec.egress.socketDir, true);
  return mounts;
}

/** Parents before children, for a readable `explain` (the engine sorts mounts the same way). */
function orderMounts(mounts: BindMount[]): BindMount[] {
  const depth = (target: string): number => path.posix.normalize(target).split('/').filter(Boolean).length;
  return mounts
    .map((mount, index) => ({ mount, index }))
    .sort((a, b) => depth(a.mount.Target) - depth(b.mount.Target) || a.index - b.index)
    .map(({ mount }) => mount);
}

function definedOnly(limits: Limits): Limits {
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined)) as Limits;
}
