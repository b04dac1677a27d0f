import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { PassThrough, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { errorMessage, WardenError } from '../../errors.ts';
import type { ExitInfo, Sandbox } from '../types.ts';
import { demuxAttachStream } from './attach-demux.ts';
import { type CgroupWatch, watchCgroupLimits } from './cgroup-watch.ts';
import type { ContainerCreateBody } from './container-plan.ts';
import type { Lifeline } from './watchdog.ts';

/** Delay between the ladder's steps: close stdin → SIGTERM → SIGKILL (each a round trip to the engine). */
const LADDER_STEP_MS = 500;
/** How long removing a container may take before the warden gives up on it (the reaper catches it). */
const REMOVE_TIMEOUT_MS = 10_000;
/** A task count this close to the pids limit at an abnormal exit counts as hitting it. */
const PIDS_EDGE = 0.8;
/** Memory use this close to the limit before a SIGKILL counts as hitting it. */
const MEMORY_EDGE = 0.9;

/** Containers this warden started and has not removed yet. */
const live = new Set<ContainerSandbox>();

/** The containers still to be removed, for a last synchronous cleanup (see killAllContainersNow). */
export function liveContainerIds(): string[] {
  return [...live].map((sandbox) => sandbox.id);
}

interface ContainerSandbox extends Sandbox {
  readonly id: string;
}

/**
 * Create, attach, start: one container per session. stdin/stdout/stderr are the container's own
 * (demultiplexed from the attach stream). `exited` resolves after the container has stopped AND been
 * removed, with ExitInfo.limit set when the engine saw an OOM kill or the pids limit refused a fork
 * (the warden then kills the container: a fork bomb ends the session). On any failure the half-made
 * container is removed and WardenError('launch-failed') says what failed. `lifeline` (the watchdog's
 * claim, watchdog.ts) is released once the container is removed; the caller releases it on a throw.
 */
export async function launchContainer(
  docker: Docker,
  body: ContainerCreateBody,
  lifeline: Lifeline,
): Promise<Sandbox> {
  const name = `mcp-warden-${process.pid}-${randomBytes(4).toString('hex')}`;
  let container: Docker.Container | undefined;
  try {
    container = await docker.createContainer({ ...(body as unknown as Docker.ContainerCreateOptions), name });
    const attached = container.attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    });
    // Waiting is requested before start so a server that exits at once is still seen exiting.
    const waited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
    const stream = (await attached) as unknown as Duplex;
    await container.start();
    const info = await container.inspect();
    return wrap(container, stream, waited, info, lifeline);
  } catch (error) {
    if (container !== undefined) await removeQuietly(container);
    const message = errorMessage(error);
    throw new WardenError('launch-failed', `cannot start the sandbox container: ${message}`, {
      cause: error,
      hint: /No such image/i.test(message)
        ? 'run mcp-warden image build'
        : /unknown or invalid runtime|runtime/i.test(message)
          ? 'register gVisor as runtime "runsc" in /etc/docker/daemon.json and restart dockerd (see mcp-warden doctor)'
          : 'see mcp-warden doctor',
    });
  }
}

/**
 * Take over a container that is already running and that nobody has attached stdin to yet (a warm
 * one from the pool, warm/warm-launch.ts): attach, wait, check it still runs under the name it was
 * handed over with, then the same sandbox as launchContainer's. `bootStderr`: what the server wrote on
 * stderr before this attach, replayed first. Rejects (the caller falls back to a launch on demand) when
 * the container is gone, stopped or not the one expected; it is then left for `lifeline` to remove.
 */
export async function attachContainer(
  docker: Docker,
  id: string,
  lifeline: Lifeline,
  expectedName: string,
  bootStderr: Buffer = Buffer.alloc(0),
): Promise<Sandbox> {
  const container = docker.getContainer(id);
  const stream = (await container.attach({
    stream: true,
    stdin: true,
    stdout: true,
    stderr: true,
    hijack: true,
  })) as unknown as Duplex;
  // Requested before the check below: an exit between the two is still seen.
  const waited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
  try {
    const info = await container.inspect();
    if (info.Name !== `/${expectedName}`) throw new Error(`container ${id.slice(0, 12)} is ${info.Name}`);
    if (!info.State.Running) throw new Error(`container ${id.slice(0, 12)} is ${info.State.Status}`);
    return wrap(container, stream, waited, info, lifeline, bootStderr);
  } catch (error) {
    waited.catch(() => undefined);
    stream.destroy();
    throw error;
  }
}

function wrap(
  container: Docker.Container,
  stream: Duplex,
  waited: Promise<{ StatusCode: number }>,
  info: Docker.ContainerInspectInfo,
  lifeline: Lifeline,
  bootStderr?: Buffer,
): ContainerSandbox {
  const pid = info.State.Pid;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (bootStderr !== undefined && bootStderr.length > 0) stderr.write(bootStderr);
  demuxAttachStream(stream, stdout, stderr);
  stream.on('error', () => undefined);
  const stdin = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (stream.destroyed || stream.writableEnded) {
        callback(); // Like a closed pipe: the exit is reported through `exited`.
        return;
      }
      stream.write(chunk, () => callback());
    },
    final(callback) {
      if (!stream.destroyed && !stream.writableEnded) stream.end();
      callback();
    },
  });
  stdin.on('error', () => undefined);

  let limit: ExitInfo['limit'];
  // Set when the stop ladder sends SIGKILL: that 137 is the warden's, whatever memory the server held.
  let stopKilled = false;
  // The engine's word on the runtime: a warm container was created by another process.
  const pace = info.HostConfig.Runtime === 'runc' ? 'relaxed' : 'prompt';
  const pids = watchCgroupLimits(
    pid,
    (refused) => {
      limit ??= { kind: 'pids', detail: `the pids limit refused ${refused} new processes or threads` };
      void kill('SIGKILL');
    },
    pace,
  );

  let removal: Promise<void> | undefined;
  const remove = (): Promise<void> => {
    // The watchdog stands down only once the engine has answered the removal.
    removal ??= removeQuietly(container).then(() => lifeline.release());
    return removal;
  };

  const exited: Promise<ExitInfo> = waited
    .then(
      (result) => result.StatusCode,
      () => null, // The engine went away: the container's fate is unknown; the reaper will see to it.
    )
    .then(async (code) => {
      const memory = pids.memory();
      pids.close();
      let oomKilled = false;
      try {
        oomKilled = (await container.inspect()).State.OOMKilled;
      } catch {
        // Already gone.
      }
      limit ??= memoryVerdict(oomKilled, memory, code, stopKilled) ?? pidsVerdict(pids, code);
      stream.destroy();
      await remove();
      live.delete(sandbox);
      return { code, signal: null, ...(limit ? { limit } : {}) };
    });

  async function kill(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    try {
      await container.kill({ signal });
    } catch {
      // Not running any more (409) or gone (404): nothing to do.
    }
  }

  const sandbox: ContainerSandbox = {
    id: container.id,
    pid,
    stdin,
    stdout,
    stderr,
    exited,
    async stop(options = {}) {
      let done = false;
      void exited.then(() => (done = true));
      if (options.graceful !== false) {
        stdin.end();
        await Promise.race([exited, delay(LADDER_STEP_MS)]);
        if (!done) await kill('SIGTERM');
        await Promise.race([exited, delay(LADDER_STEP_MS)]);
      }
      if (!done) {
        stopKilled = true;
        await kill('SIGKILL');
      }
      return Promise.race([
        exited,
        delay(REMOVE_TIMEOUT_MS).then(async () => {
          await remove();
          return { code: null, signal: 'SIGKILL' as const };
        }),
      ]);
    },
  };
  live.add(sandbox);
  return sandbox;
}

/**
 * Did the memory limit end this container? Yes when the engine says OOM-killed. Also when it was killed
 * (137) by something other than the warden's stop after hitting its memory limit, or with its usage at
 * the limit's edge (on cgroup v1 usage includes the page cache): gVisor under load sometimes reports
 * that kill without the OOM flag, and its cgroup (with the kernel's counters) can vanish before a poll
 * reads them.
 */
export function memoryVerdict(
  oomKilled: boolean,
  memory: { hits: number; peak: number; limit: number },
  code: number | null,
  stopKilled = false,
): ExitInfo['limit'] {
  if (oomKilled) return { kind: 'memory', detail: 'killed by the kernel at the memory limit (OOM)' };
  if (code !== 137 || stopKilled) return undefined;
  if (memory.hits > 0) {
    return { kind: 'memory', detail: `killed after hitting its memory limit ${memory.hits} times` };
  }
  if (memory.limit > 0 && memory.peak >= memory.limit * MEMORY_EDGE) {
    const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);
    return {
      kind: 'memory',
      detail: `killed with ${mib(memory.peak)} of its ${mib(memory.limit)} MiB of memory in use`,
    };
  }
  return undefined;
}

/**
 * Did the pids limit end this container? Yes when the kernel refused a fork; also when it died abnormally
 * with its task count at the limit's edge (gVisor's Sentry dies on its first refused host thread, and
 * its cgroup vanishes with it, often before the refusal can be read).
 */
export function pidsVerdict(
  pids: Pick<CgroupWatch, 'refused' | 'peak'>,
  code: number | null,
): ExitInfo['limit'] {
  const refused = pids.refused();
  if (refused > 0)
    return { kind: 'pids', detail: `the pids limit refused ${refused} new processes or threads` };
  const { tasks, limit } = pids.peak();
  if (code !== 0 && limit > 0 && tasks >= limit * PIDS_EDGE) {
    return { kind: 'pids', detail: `the sandbox died with ${tasks} of its ${limit} tasks in use` };
  }
  return undefined;
}

async function removeQuietly(container: Docker.Container): Promise<void> {
  try {
    await Promise.race([container.remove({ force: true, v: true }), delay(REMOVE_TIMEOUT_MS)]);
  } catch {
    // 404: already removed. Anything else: the reaper of the next warden start removes it.
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
