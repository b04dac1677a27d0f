import type { Readable, Writable } from 'node:stream';
import type { ResolvedRoot } from '../config/root.ts';

/** Names of every backend in the design; not all are implemented in every build. */
export type BackendName = 'none' | 'bwrap' | 'docker' | 'gvisor' | 'seatbelt' | 'isolate';

/** Resource limits from the profile/CLI. Undefined means "backend default / not limited". */
export interface Limits {
  memoryMb?: number;
  cpus?: number;
  pids?: number;
  tmpfsMb?: number;
}

/**
 * What to launch, independent of backend: produced on the host by src/sandboxes/launch-spec/.
 * All paths are absolute host paths; the same paths are valid inside the sandbox.
 */
export interface LaunchSpec {
  /** Absolute path of the executable to run (interpreter already resolved, e.g. /usr/bin/node). */
  executable: string;
  /** Arguments after the executable (the script path first for interpreted servers). */
  args: string[];
  /** Exactly the environment the server gets (the --env allowlist plus pinned baseline values). */
  env: Record<string, string>;
  /** Roots, mounted at their own path (rw or ro). */
  roots: readonly ResolvedRoot[];
  /** Extra read-only host paths the server needs: its runtime (binary, shared libraries) and its package. */
  readOnlyPaths: string[];
  /**
   * The subset of `readOnlyPaths` that is the executable itself and its shared libraries (ldd). A
   * container backend whose image already provides that runtime leaves these out of its mounts.
   */
  runtimePaths: string[];
  /** Why each `readOnlyPaths` entry is mounted, for `explain`; a path without an entry has no recorded reason. */
  readOnlyWhy?: Record<string, string>;
  /** Paths next to the server's code deliberately NOT mounted (dotfiles, other packages...), and why; for `explain`. */
  notMounted?: Array<{ path: string; why: string }>;
  /**
   * The server's private, persistent home: a directory under the warden's state dir (homes/NAME),
   * mounted read-write at its own path and set as HOME (see launch-spec/state-home.ts); nothing of
   * the real home is in it. Undefined: the server has no home (HOME unset; /tmp in containers).
   */
  stateHome?: { path: string; name: string; why: string };
  /** Working directory inside the sandbox (first root, else /tmp). */
  cwd: string;
  limits: Limits;
  /** false (the default everywhere): no network at all. */
  network: boolean;
  /**
   * Egress by allowlist (src/network): the command already starts the relay (withEgressRelay); the
   * backend mounts `socketDir` read-only at its own path and keeps the sandbox's network off.
   * Undefined: no proxy.
   */
  egress?: {
    socketDir: string;
    socketPath: string;
    /**
     * What withEgressRelay put in front of the server, for a backend that swaps programs for its own (a
     * container whose image carries node): the relay node's files (`executable` and its libraries) and
     * where the server's own program is in `args`. Undefined: the backend only mounts `socketDir`.
     */
    relay?: { runtimePaths: string[]; programIndex: number };
    /**
     * Set when the sandbox reaches the proxy on the host's loopback rather than through a relay
     * (seatbelt: no private network to put a relay in). `entry`: the proxy's port on 127.0.0.1 and the
     * credential its clients must present, once the proxy listens (withLoopbackEntry); undefined before
     * that (explain), when the sandbox is planned with no network at all.
     */
    loopback?: { entry?: { port: number; credential: string } };
  };
  /**
   * Container backends only: a user-supplied image (and the interpreter inside it that replaces the
   * program) instead of the offline node image. Undefined: the offline image. Other backends ignore it.
   */
  containerImage?: { image: string; runtime?: string };
}

/** A pure description of the sandbox a backend would start; `explain` prints it. */
export interface SandboxPlan {
  backend: BackendName;
  /** The exact argv spawned on the host (argv[0] is the program). */
  argv: string[];
  /** The environment of the spawned host process (for bwrap: empty, it uses --setenv). */
  env: Record<string, string>;
  /**
   * Data the launcher writes to extra pipes of the spawned process, inputs[i] at fd 3 + i: what must not
   * be in argv (world-readable in /proc/PID/cmdline). bwrap reads its --setenv arguments (`--args 3`) and
   * its seccomp program (`--seccomp 4`) there. `explain` describes them in `details`, values redacted.
   * Undefined: the process gets fds 0-2 only.
   */
  inputs?: Uint8Array[];
  /**
   * The egress relay hands its 127.0.0.1 listener to the warden's proxy of `socketPath` over an IPC
   * channel at fd 3 + inputs.length (network/listener-handoff.ts), instead of relaying every connection
   * itself. Backends whose sandbox is a host child process (bwrap, none). Undefined: no channel.
   */
  handoff?: { socketPath: string };
  cwd: string;
  /** Human-readable facts about the isolation, e.g. "network: none (new net namespace)". */
  notes: string[];
  /** Limits the backend cannot enforce, stated so the user is never misled. */
  unenforced: string[];
  /**
   * The host uid/gid the server's file writes are made as, when the backend knows it differs from the
   * warden's own (a container run by root). The warden's state home is handed to it. Undefined: the
   * warden's own uid/gid.
   */
  runAs?: { uid: number; gid: number };
  /** Problems the user should fix before relying on the sandbox (e.g. a rw root the sandbox user cannot write); printed on stderr. */
  warnings?: string[];
  /**
   * Backend-specific description that `explain` prints in full and `launch` consumes: docker/gvisor the
   * container create options, seatbelt the generated profile, isolate the bundle, bwrap what its extra
   * descriptors carry. Undefined for backends whose argv says everything (none).
   */
  details?: Record<string, unknown>;
}

/** Which resource limit stopped a sandbox, as far as the backend can tell. */
export type LimitKind = 'memory' | 'pids' | 'cpu' | 'wall-clock';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /**
   * Set when the backend knows a resource limit ended the sandbox (docker's OOM flag, the isolate's
   * heap or CPU watchdog); the session then reports rule `sandbox.limit` instead of `sandbox.exited`.
   * Undefined: an ordinary exit, or the backend cannot tell.
   */
  limit?: { kind: LimitKind; detail: string };
}

/** A running sandbox. stdin/stdout carry the server's JSON-RPC; stderr is the server's log. */
export interface Sandbox {
  readonly pid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves once the sandbox process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /**
   * Stop the sandbox and everything it started, using the lifecycle ladder: close stdin → SIGTERM →
   * SIGKILL on unref'd timers. `graceful: false` skips straight to SIGKILL. Resolves when all are gone.
   */
  stop(options?: { graceful?: boolean }): Promise<ExitInfo>;
  /**
   * Set when the launch was asked to use the warm pool (LaunchOptions.warm): whether this sandbox came
   * from it, or why not. Undefined: the pool was not asked.
   */
  readonly warm?: WarmOutcome;
}

/** A warm-pool take: `hit` (a ready sandbox was handed over) or why it missed (`detail`). */
export interface WarmOutcome {
  hit: boolean;
  detail: string;
}

export interface ProbeOptions {
  /** The warden's cache directory; undefined means no on-disk caching. */
  cacheDir?: string;
}

/** One fact a probe checked, for `doctor` (e.g. "engine reachable", "runsc registered"). */
export interface ProbeCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export type Availability =
  | { available: true; version?: string; checks?: ProbeCheck[] }
  | { available: false; reason: string; fix: string; checks?: ProbeCheck[] };

export interface LaunchOptions {
  /** Human progress lines for slow first-time steps (building an image); undefined: silent. */
  onProgress?: (line: string) => void;
  /**
   * `run --warm`: take a ready sandbox of the same plan from the per-user warm pool when there is one
   * (docker and gvisor; docker/warm/). Other backends ignore it. Undefined/false: launch on demand.
   */
  warm?: boolean;
}

export interface Backend {
  readonly name: BackendName;
  /** Load the backend's code if it is loaded lazily (a no-op otherwise); required before `plan`. */
  load?(): Promise<void>;
  /**
   * Can this backend run here? Actually tries (e.g. a trivial bwrap run), cached per process, and a
   * success also in `cacheDir` for a short while when given (a warden start then skips the trial run).
   */
  probe(options?: ProbeOptions): Promise<Availability>;
  /**
   * Optional: start, before the plan exists, what the next launch will need (isolate: its host process
   * boots meanwhile). Called once the backend is chosen for a session that will launch; the launch uses
   * it if it fits its plan. Whatever no launch takes ends with the warden.
   */
  prestart?(): void;
  /** Pure: the exact sandbox this backend would launch for `spec`. */
  plan(spec: LaunchSpec): SandboxPlan;
  /** Spawn the plan. Rejects with WardenError('launch-failed') if the process cannot start. */
  launch(plan: SandboxPlan, options?: LaunchOptions): Promise<Sandbox>;
}
