import type { Isolate } from 'isolated-vm';
import type { HostConfig } from './host-config.ts';
import type { HostLifecycle } from './host-lifecycle.ts';
import type { HostOp } from './host-ops.ts';
import { guestExitStatus } from './isolate-exit.ts';

const MiB = 1024 * 1024;

/** What the process ops need from host-main: the config, the isolate, the lifecycle, and the way back in. */
export interface ProcessOpsContext {
  config: HostConfig;
  isolate: () => Isolate | undefined;
  lifecycle: HostLifecycle;
  /** Deliver an event to the guest (stdin data, timer, drain). */
  toGuest: (kind: string, payload?: unknown) => void;
  /** Called once, after the guest's first write to stdout (its first message, usually). */
  onFirstStdout?: () => void;
}

/**
 * The guest's process-level operations: boot facts, stdio, exit, and timers. Guest timers are real host
 * timers (so ref/unref decide whether this process stays alive, as in Node) that fire an event back.
 */
export function createProcessOps({
  config,
  isolate,
  lifecycle,
  toGuest,
  onFirstStdout,
}: ProcessOpsContext): Record<string, HostOp> {
  let firstStdout = onFirstStdout;
  const timers = new Map<number, { kind: string; handle: NodeJS.Timeout | NodeJS.Immediate }>();
  const outputLimit = config.memoryMb * MiB;
  return {
    'process.boot': () => ({
      argv: config.argv,
      env: config.env,
      cwd: config.cwd,
      execPath: config.argv[0] ?? 'node',
      version: process.version,
      versions: { node: process.versions.node, v8: process.versions.v8 },
      arch: process.arch,
      pid: 2,
    }),
    'process.memory': () => {
      const heap = isolate()?.getHeapStatisticsSync();
      const used = heap?.used_heap_size ?? 0;
      return {
        rss: used,
        heapTotal: heap?.total_heap_size ?? 0,
        heapUsed: used,
        external: 0,
        arrayBuffers: 0,
      };
    },
    // What the guest writes queues in this process until the warden reads it; a guest that ignores
    // write()'s false and 'drain' would grow this process without bound (issue 20 item 10). Output not
    // yet read counts against the guest's memory limit: past it, the guest ends as if out of memory.
    'stdio.write': (fd, data) => {
      if (typeof data !== 'string' && !(data instanceof Uint8Array))
        throw new TypeError('write: string or bytes');
      if (lifecycle.ending) return false;
      const ok = (fd === 1 ? process.stdout : process.stderr).write(data);
      if (fd === 1 && firstStdout !== undefined) {
        const call = firstStdout;
        firstStdout = undefined;
        call();
      }
      const pending = process.stdout.writableLength + process.stderr.writableLength;
      if (pending > outputLimit) {
        lifecycle.limit(
          'memory',
          `the server queued ${Math.round(pending / MiB)} MB of output the client had not read, past its ${config.memoryMb} MB limit (it kept writing without waiting for 'drain')`,
        );
        return false;
      }
      return ok;
    },
    'stdin.flow': (on) => {
      if (on) process.stdin.resume();
      else process.stdin.pause();
      return null;
    },
    exit: (code) => lifecycle.exit(guestExitStatus(Number(code))),
    'exit.uncaught': (text) => {
      process.stderr.write(`${String(text)}\n`);
      lifecycle.exit(1);
    },
    'timer.set': (id, kind, delay) => {
      const key = Number(id);
      const fire = (): void => {
        if (kind !== 'interval') timers.delete(key);
        toGuest('timer', key);
      };
      const ms = Number(delay);
      const handle =
        kind === 'immediate'
          ? setImmediate(fire)
          : kind === 'interval'
            ? setInterval(fire, ms)
            : setTimeout(fire, ms);
      timers.set(key, { kind: String(kind), handle });
      return null;
    },
    'timer.clear': (id) => {
      const timer = timers.get(Number(id));
      timers.delete(Number(id));
      if (timer?.kind === 'immediate') clearImmediate(timer.handle as NodeJS.Immediate);
      else if (timer) clearTimeout(timer.handle as NodeJS.Timeout);
      return null;
    },
    'timer.ref': (id, on) => {
      const timer = timers.get(Number(id));
      if (on) timer?.handle.ref();
      else timer?.handle.unref();
      return null;
    },
    'timer.refresh': (id) => {
      const timer = timers.get(Number(id));
      if (timer && timer.kind !== 'immediate') (timer.handle as NodeJS.Timeout).refresh();
      return null;
    },
  };
}
