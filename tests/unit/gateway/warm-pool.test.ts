import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WarmPool } from '../../../src/gateway/warm-pool.ts';
import type { ExitInfo, Sandbox } from '../../../src/sandboxes/types.ts';

interface FakeSandbox extends Sandbox {
  id: number;
  stopped: boolean;
  crash(): void;
}

/** A launcher of fake sandboxes; `fail` makes launches reject. */
function launcher(): {
  launch: () => Promise<{ sandbox: FakeSandbox }>;
  discard: (item: { sandbox: FakeSandbox }) => Promise<void>;
  discarded: FakeSandbox[];
  all: FakeSandbox[];
  fail: boolean;
  calls: number;
} {
  const state = {
    all: [] as FakeSandbox[],
    discarded: [] as FakeSandbox[],
    fail: false,
    calls: 0,
    discard: async ({ sandbox }: { sandbox: FakeSandbox }): Promise<void> => {
      state.discarded.push(sandbox);
      await sandbox.stop({ graceful: false });
    },
    launch: (): Promise<{ sandbox: FakeSandbox }> => {
      state.calls++;
      if (state.fail) return Promise.reject(new Error('engine down'));
      let exit: (info: ExitInfo) => void = () => undefined;
      const exited = new Promise<ExitInfo>((resolve) => (exit = resolve));
      const sandbox: FakeSandbox = {
        id: state.all.length + 1,
        pid: 1000 + state.all.length,
        stdin: new PassThrough(),
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        exited,
        stopped: false,
        crash: () => exit({ code: 1, signal: null }),
        stop: () => {
          sandbox.stopped = true;
          exit({ code: null, signal: 'SIGKILL' });
          return exited;
        },
      };
      state.all.push(sandbox);
      return Promise.resolve({ sandbox });
    },
  };
  return state;
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('WarmPool', () => {
  it('fills to its size, hands out a ready sandbox once, and refills behind it', async () => {
    const l = launcher();
    const pool = new WarmPool({ size: 2, launch: l.launch, discard: l.discard, onError: () => undefined });
    await tick();
    expect(pool.idle).toBe(2);
    expect(l.calls).toBe(2);
    const first = (await pool.take()).sandbox;
    const second = (await pool.take()).sandbox;
    expect([first.id, second.id]).toEqual([1, 2]); // the warm ones, never launched on demand
    await tick();
    expect(pool.idle).toBe(2);
    const third = (await pool.take()).sandbox;
    expect([1, 2]).not.toContain(third.id); // a sandbox is never handed out twice
    await pool.close();
  });

  it('launches on demand when nothing is ready', async () => {
    const l = launcher();
    const pool = new WarmPool({ size: 1, launch: l.launch, discard: l.discard, onError: () => undefined });
    const a = await pool.take(); // the warm launch has not landed yet
    const b = await pool.take();
    expect(a).not.toBe(b);
    await pool.close();
  });

  it('drops (discards) an idle sandbox that exited and replaces it; never hands out a dead one', async () => {
    const l = launcher();
    const pool = new WarmPool({ size: 1, launch: l.launch, discard: l.discard, onError: () => undefined });
    await tick();
    l.all[0]?.crash();
    await tick();
    expect(l.discarded).toEqual([l.all[0]]); // what belongs with it (its egress proxy) goes too
    expect(pool.idle).toBe(1);
    const taken = (await pool.take()).sandbox;
    expect(taken.id).toBe(2);
    await pool.close();
  });

  it('backs off after failed launches instead of spinning, and recovers', async () => {
    const l = launcher();
    l.fail = true;
    const errors: unknown[] = [];
    const pool = new WarmPool({
      size: 2,
      launch: l.launch,
      discard: l.discard,
      onError: (e) => errors.push(e),
      retryMs: 40,
    });
    await tick(100); // retries at ~40 ms and ~80 ms after the first failures
    expect(l.calls).toBeLessThanOrEqual(6);
    expect(errors.length).toBe(l.calls);
    l.fail = false;
    await tick(400);
    expect(pool.idle).toBe(2);
    await pool.close();
  });

  it('close() stops every idle sandbox, also one still launching, and refills no more', async () => {
    const l = launcher();
    const pool = new WarmPool({ size: 2, launch: l.launch, discard: l.discard, onError: () => undefined });
    await tick();
    const taken = (await pool.take()).sandbox; // starts a refill launch
    await pool.close();
    expect(l.all.filter((s) => s !== taken).every((s) => s.stopped)).toBe(true);
    expect(l.discarded.sort((a, b) => a.id - b.id)).toEqual(l.all.filter((s) => s !== taken));
    expect(taken.stopped).toBe(false); // a session's sandbox is the session's to stop
    const calls = l.calls;
    await tick(20);
    expect(l.calls).toBe(calls);
    expect(pool.idle).toBe(0);
  });
});
