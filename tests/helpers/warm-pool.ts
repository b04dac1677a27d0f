// The warm pool of `run --warm` in tests: each test gives its wardens a private state directory
// (MCP_WARDEN_STATE_DIR), hence a private pool daemon, which it asks what it holds and stops at the end.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { dockerConnection } from '../../src/sandboxes/docker/docker-connection.ts';
import { OWNER_LABEL, parseOwner } from '../../src/sandboxes/docker/owner.ts';
import { poolPaths } from '../../src/sandboxes/docker/warm/pool-paths.ts';
import { type StatusReplySchema, ReplySchema } from '../../src/sandboxes/docker/warm/protocol.ts';
import { stateDir as stateDirOf } from '../../src/util/state-dir.ts';
import { hostProcesses } from './host-processes.ts';
import type { z } from 'zod';

export type PoolStatus = z.infer<typeof StatusReplySchema>;

/** The environment of a warden using the pool of `stateDir` (idle time in ms, default 2 minutes). */
export function warmEnv(stateDir: string, idleMs = 120_000): NodeJS.ProcessEnv {
  return { ...process.env, MCP_WARDEN_STATE_DIR: stateDir, MCP_WARDEN_POOL_IDLE_MS: String(idleMs) };
}

/** Every daemon pid seen per state directory, so that a failed test still removes their containers. */
const seen = new Map<string, Set<number>>();
function saw(stateDir: string, pids: number[]): void {
  const set = seen.get(stateDir) ?? new Set<number>();
  for (const pid of pids) set.add(pid);
  seen.set(stateDir, set);
}

/** Ask the daemon of `stateDir` what it holds; undefined when none answers. */
export function poolStatus(stateDir: string): Promise<PoolStatus | undefined> {
  return new Promise((resolve) => {
    const socket = net.createConnection(poolPaths({ MCP_WARDEN_STATE_DIR: stateDir }).socket);
    let text = '';
    const done = (status: PoolStatus | undefined): void => {
      socket.destroy();
      resolve(status);
    };
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write(`${JSON.stringify({ type: 'status' })}\n`));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (!text.includes('\n')) return;
      const reply = ReplySchema.safeParse(JSON.parse(text.slice(0, text.indexOf('\n'))));
      const status = reply.success && reply.data.type === 'status' ? reply.data : undefined;
      if (status !== undefined) saw(stateDir, [status.pid]);
      done(status);
    });
    setTimeout(() => done(undefined), 5000).unref();
  });
}

/** Poll until `check` holds for the daemon's status (or fail after `withinMs`, with the last status). */
export async function waitForPool(
  stateDir: string,
  check: (status: PoolStatus) => boolean,
  withinMs = 60_000,
): Promise<PoolStatus> {
  const deadline = Date.now() + withinMs;
  let last: PoolStatus | undefined;
  while (Date.now() < deadline) {
    last = await poolStatus(stateDir);
    if (last !== undefined && check(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `the pool of ${stateDir} did not get there within ${withinMs} ms: ${JSON.stringify(last)}\n` +
      `the end of its daemon's log:\n${daemonLogTail(stateDir)}`,
  );
}

/** The last lines of the pool daemon's log (why a fill failed, a ready container exited...), for failures. */
function daemonLogTail(stateDir: string, lines = 15): string {
  try {
    const log = readFileSync(poolPaths({ MCP_WARDEN_STATE_DIR: stateDir }).log, 'utf8');
    return log.trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(no log: ${(error as Error).message})`;
  }
}

/**
 * Host pids of the pool daemons started for `stateDir`: their environment leads to it, through
 * MCP_WARDEN_STATE_DIR or (a warden a client started, with only HOME) the default under HOME.
 */
export function daemonPids(stateDir: string): number[] {
  const pids = hostProcesses((proc) => {
    if (!/pool-daemon-main\.[jt]s\0/.test(proc.cmdline)) return false;
    const environ = readFileSync(`/proc/${proc.pid}/environ`, 'utf8').split('\0');
    const env = Object.fromEntries(
      environ.filter((entry) => entry.includes('=')).map((entry) => entry.split(/=(.*)/s, 2)),
    ) as NodeJS.ProcessEnv;
    return stateDirOf(env) === stateDir;
  }).map((proc) => proc.pid);
  saw(stateDir, pids);
  return pids;
}

/** Containers whose owner label names a process with pid `ownerPid`: `id name state` each. */
export async function containersOwnedBy(ownerPid: number): Promise<string[]> {
  const docker = await dockerConnection();
  const list = await docker.listContainers({ all: true, filters: { label: [OWNER_LABEL] } });
  return list
    .filter((info) => parseOwner(info.Labels[OWNER_LABEL] ?? '')?.pid === ownerPid)
    .map((info) => `${info.Id} ${info.Names.join(',')} ${info.State}`);
}

/** Does the engine still have container `id` (in any state)? */
export async function containerExists(id: string): Promise<boolean> {
  const docker = await dockerConnection();
  const list = await docker.listContainers({ all: true, filters: { id: [id] } });
  return list.length > 0;
}

/** Poll until `check` is true (fail with `what` after `withinMs`). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, withinMs = 30_000) {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not within ${withinMs} ms: ${what}`);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Stop every daemon of `stateDir` (SIGTERM, then SIGKILL) and remove whatever containers they, or any
 * daemon of `stateDir` seen before, still own. Returns the pids of the daemons it stopped.
 */
export async function stopPool(stateDir: string): Promise<number[]> {
  const pids = daemonPids(stateDir);
  for (const pid of pids) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
  const docker = await dockerConnection();
  for (const pid of seen.get(stateDir) ?? []) {
    for (const line of await containersOwnedBy(pid)) {
      await docker
        .getContainer(line.split(' ')[0] as string)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
  return pids;
}

/** The audit events of `file` (JSON lines). */
export function auditEvents(file: string): Array<Record<string, unknown>> {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  } catch {
    return [];
  }
}

/** The `sandbox.warm` event of an audit log (the last one), or undefined. */
export function warmEvent(file: string): { hit: boolean; detail: string } | undefined {
  return auditEvents(file)
    .filter((event) => event.event === 'sandbox.warm')
    .at(-1) as { hit: boolean; detail: string } | undefined;
}
