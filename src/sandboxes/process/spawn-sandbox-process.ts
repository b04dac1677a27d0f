import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Server, Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { HANDOFF_MESSAGE, deliverHandoff } from '../../network/listener-handoff.ts';
import { WardenError, errorMessage } from '../../errors.ts';
import type { ExitInfo, Sandbox } from '../types.ts';
import { closeInheritedFds } from './close-inherited-fds.ts';
import { collectDescendants, findByEnvironMarker, readProcSnapshot } from './proc-snapshot.ts';
import type { ProcEntry } from './proc-snapshot.ts';

/** Delay between the ladder's steps: close stdin → SIGTERM the group → SIGKILL the group. */
export const LADDER_STEP_MS = 250;
// Pause between sweep rounds while killed descendants are still dying.
const SWEEP_SETTLE_MS = 10;
const SWEEP_ROUNDS = 20;

/** A sandbox backed by a host child process; `killAllNow` is the synchronous last resort. */
export interface SandboxProcess extends Sandbox {
  /** SIGKILL the process group and every known descendant, synchronously, best effort. Never throws. */
  killAllNow(): void;
  /**
   * Resolves once every `inputs` descriptor is written and closed, so the child reads EOF there (or the
   * write failed: the child died). That takes a turn of the event loop: a caller that goes on with
   * long synchronous work after the spawn (the fast start, src/cli/fast-start) awaits it first, or
   * bwrap waits for its --args until that work is done. Never rejects.
   */
  readonly inputsDelivered: Promise<void>;
}

// Every sandbox that may still have processes on the host, for killAllNow() from 'exit' handlers.
const live = new Set<SandboxProcess>();

/**
 * SIGKILL every live sandbox's process group and known descendants, synchronously. For
 * `process.on('exit')` and second-Ctrl-C handlers, where nothing asynchronous runs any more.
 */
export function killAllNow(): void {
  for (const sandbox of [...live]) sandbox.killAllNow();
}

export interface SpawnOptions {
  /**
   * "NAME=value" present in the environment of every process of this sandbox: the sweep then also finds
   * descendants that re-parented to init and left the session (double forks). Undefined: no marker.
   */
  environMarker?: string;
  /**
   * Data for extra descriptors of the child: inputs[i] is written to a pipe at fd 3 + i, which is then
   * closed (the child reads to EOF). For what must not be in argv, world-readable in /proc/PID/cmdline:
   * bwrap reads its --setenv arguments (--args FD) and its seccomp program (--seccomp FD) this way.
   * The child must close them before it runs anything untrusted. Undefined or empty: fds 0-2 only.
   */
  inputs?: readonly Uint8Array[];
  /**
   * An IPC channel at fd 3 + inputs.length over which the sandbox's egress relay hands its listener to
   * the proxy of `socketPath` (see network/listener-handoff.ts). The warden takes one listener and closes
   * the channel right after it (or when the handoff does not come within HANDOFF_TIMEOUT_MS, or the
   * process exits): nothing the server runs later can use it. Undefined: no channel.
   */
  handoff?: { socketPath: string };
}

/** How long a launched sandbox's relay has to hand its listener over before the channel is closed. */
export const HANDOFF_TIMEOUT_MS = 30_000;

/**
 * Spawn `argv` (argv[0] is the program; no shell) with exactly `env` in `cwd`, as the leader of a new
 * process group and session, with stdin/stdout/stderr piped and
 * `options.inputs` at fd 3 and up; nothing else is inherited. Resolves once the process is running;
 * rejects with WardenError('launch-failed') naming the program if it cannot be started (ENOENT,
 * EACCES, missing cwd...). The child stays referenced while it runs so the warden cannot exit under it.
 */
export function spawnSandboxProcess(
  argv: readonly string[],
  env: Record<string, string>,
  cwd: string,
  options: SpawnOptions = {},
): Promise<SandboxProcess> {
  const [program, ...args] = argv;
  if (program === undefined) {
    return Promise.reject(new WardenError('launch-failed', 'cannot launch an empty command'));
  }
  // Whatever the warden inherited and is not close-on-exec would be inherited by the child too: main.ts
  // closes it at start-up; again here for embedders (the gateway in-process, tests) and anything since.
  closeInheritedFds();
  const inputs = options.inputs ?? [];
  // node:child_process rather than execa: this child is long-lived and driven by hand (group
  // signals, the ladder), so execa's promise/result layer would only be in the way.
  const child = spawn(program, args, {
    env,
    cwd,
    detached: true,
    stdio: [
      'pipe',
      'pipe',
      'pipe',
      ...inputs.map(() => 'pipe' as const),
      ...(options.handoff === undefined ? [] : ['ipc' as const]),
    ],
  });
  if (options.handoff !== undefined) takeHandoff(child, options.handoff.socketPath);
  const delivered = inputs.map((data, i) => {
    const stream = child.stdio[3 + i] as Writable | null | undefined;
    if (!stream) return undefined;
    // EPIPE when the child dies before reading: the launch failure is reported through its exit.
    stream.on('error', () => undefined);
    const done = new Promise<void>((resolve) => {
      for (const event of ['finish', 'error', 'close']) stream.once(event, () => resolve());
    });
    stream.end(data);
    return done;
  });
  const inputsDelivered = Promise.all(delivered).then(() => undefined);
  return new Promise((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // Later errors (e.g. kill failures) are not launch failures.
      reject(
        new WardenError(
          'launch-failed',
          `cannot start ${program} (cwd ${cwd}): ${error.code ?? errorMessage(error)}`,
          {
            cause: error,
            hint: error.code === 'ENOENT' ? `check that ${program} and ${cwd} exist` : undefined,
          },
        ),
      );
    });
    child.once('spawn', () => resolve(wrap(child, program, options.environMarker, inputsDelivered)));
  });
}

function wrap(
  child: ChildProcess,
  program: string,
  marker: string | undefined,
  inputsDelivered: Promise<void>,
): SandboxProcess {
  const pid = child.pid as number;
  const { stdin, stdout, stderr } = child;
  if (!stdin || !stdout || !stderr) throw new WardenError('internal', `no stdio pipes for ${program}`);
  // EPIPE on a dead server must not crash the warden; the exit is reported through `exited`.
  stdin.on('error', () => undefined);

  // Descendants seen so far, keyed by pid with their start time, so that a process which outlives the
  // leader (and is re-parented) is still known, and a recycled pid is never signalled.
  const known = new Map<number, ProcEntry>();
  const remember = (): void => {
    const snapshot = readProcSnapshot();
    for (const entry of collectDescendants(snapshot, pid)) known.set(entry.pid, entry);
    if (marker !== undefined) {
      for (const entry of findByEnvironMarker(snapshot, marker))
        if (entry.pid !== pid) known.set(entry.pid, entry);
    }
  };
  let hasExited = false;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      hasExited = true;
      resolve({ code, signal });
    });
  });

  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already empty.
    }
  };
  /** SIGKILL every known descendant still running; returns how many were signalled. */
  const killKnown = (): number => {
    let signalled = 0;
    for (const entry of readProcSnapshot().values()) {
      const seen = known.get(entry.pid);
      if (seen && seen.startTime === entry.startTime && entry.state !== 'Z') {
        safeKill(entry.pid);
        signalled += 1;
      }
    }
    return signalled;
  };

  let stopping: Promise<ExitInfo> | undefined;
  const sandbox: SandboxProcess = {
    pid,
    stdin,
    stdout,
    stderr,
    exited,
    inputsDelivered,
    stop(options = {}) {
      stopping ??= runLadder(options.graceful ?? true);
      return stopping;
    },
    killAllNow() {
      try {
        if (!hasExited) remember();
        signalGroup('SIGKILL');
        killKnown();
      } catch {
        // Best effort by contract.
      }
    },
  };

  const runLadder = async (graceful: boolean): Promise<ExitInfo> => {
    const timers: NodeJS.Timeout[] = [];
    if (!hasExited) {
      remember();
      if (graceful) {
        stdin.end();
        const step = (delay: number, signal: NodeJS.Signals): void => {
          const timer = setTimeout(() => {
            if (hasExited) return;
            remember();
            signalGroup(signal);
          }, delay);
          timer.unref();
          timers.push(timer);
        };
        step(LADDER_STEP_MS, 'SIGTERM');
        step(2 * LADDER_STEP_MS, 'SIGKILL');
      } else {
        signalGroup('SIGKILL');
      }
    }
    const info = await exited;
    for (const timer of timers) clearTimeout(timer);
    // The leader is gone; whatever it left behind (in its group, or setsid'd away but still known
    // through ppid links) gets no grace period. Repeat while the sweep keeps finding new processes.
    for (let round = 0; round < SWEEP_ROUNDS; round += 1) {
      signalGroup('SIGKILL');
      const before = known.size;
      const snapshot = readProcSnapshot();
      for (const entry of known.values()) {
        for (const descendant of collectDescendants(snapshot, entry.pid))
          known.set(descendant.pid, descendant);
      }
      for (const entry of collectDescendants(snapshot, pid)) known.set(entry.pid, entry);
      if (marker !== undefined)
        for (const entry of findByEnvironMarker(snapshot, marker)) known.set(entry.pid, entry);
      const signalled = killKnown();
      if (known.size === before && signalled === 0) break;
      // SIGKILL is delivered asynchronously: give the victims a moment, so that "resolved" means gone.
      // Ref'd on purpose: once the leader's handle is closed this may be the only thing keeping the
      // event loop alive, and an unref'd wait here let the warden exit (status 0) mid-shutdown.
      await new Promise((resolve) => setTimeout(resolve, SWEEP_SETTLE_MS));
    }
    live.delete(sandbox);
    return info;
  };

  live.add(sandbox);
  void exited.then(() => {
    // Keep the entry while the group still has members, so killAllNow() can reach them.
    try {
      process.kill(-pid, 0);
    } catch {
      if (!stopping) live.delete(sandbox);
    }
  });
  return sandbox;
}

/**
 * Take the one listener the relay sends over the child's IPC channel and give it to the proxy of
 * `socketPath`; then, or after HANDOFF_TIMEOUT_MS, or at its exit, close the channel. Anything else
 * arriving on it is ignored: only the relay, before the server runs, ever writes there.
 */
function takeHandoff(child: ChildProcess, socketPath: string): void {
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (child.connected) child.disconnect();
  };
  // Stays a listener after the first message: a handle that was already on its way is closed.
  const onMessage = (message: unknown, handle: unknown): void => {
    const kind = (message as { kind?: unknown } | null)?.kind;
    if (!done && kind === HANDOFF_MESSAGE && handle instanceof Server) deliverHandoff(socketPath, handle);
    else if (handle instanceof Server) handle.close();
    else if (handle instanceof Socket) handle.destroy();
    finish();
  };
  const timer = setTimeout(finish, HANDOFF_TIMEOUT_MS);
  timer.unref();
  child.on('message', onMessage);
  child.once('exit', finish);
  // A channel keeps the warden's event loop alive; the child's own handle does that while it runs.
  child.channel?.unref();
}

function safeKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
