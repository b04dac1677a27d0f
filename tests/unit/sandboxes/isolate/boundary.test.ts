// What crosses the isolate boundary, the CPU budget and the exit mapping: small pure pieces.
import { describe, expect, it } from 'vitest';
import { createHostCall, guestCopy } from '../../../../src/sandboxes/isolate/host-call.ts';
import {
  exitInfoWithLimit,
  guestExitStatus,
  LIMIT_SIGNALS,
  limitOfSignal,
} from '../../../../src/sandboxes/isolate/isolate-exit.ts';
import { CpuBudget } from '../../../../src/sandboxes/isolate/watchdog.ts';

describe('guestCopy', () => {
  it('copies a view into a pooled host buffer without the rest of the pool', () => {
    const pooled = Buffer.from('secret-neighbour');
    const view = pooled.subarray(0, 6);
    expect(view.buffer.byteLength).toBeGreaterThan(6); // Node's pool: the bug this guards against
    const copy = guestCopy(view) as Uint8Array;
    expect(copy).toBeInstanceOf(Uint8Array);
    expect(copy.buffer.byteLength).toBe(6);
    expect(Buffer.from(copy).toString()).toBe('secret');
  });
});

describe('createHostCall', () => {
  const call = createHostCall({
    ok: () => 'yes',
    fail: () => {
      throw Object.assign(new Error('nope'), { code: 'ENOENT', errno: -2, syscall: 'open', path: '/x' });
    },
  });
  it('answers with copied envelopes; errors cross as plain fields', () => {
    expect(call('ok')).toEqual({ ok: true, value: 'yes' });
    expect(call('fail')).toEqual({
      ok: false,
      error: { message: 'nope', code: 'ENOENT', errno: -2, syscall: 'open', path: '/x' },
    });
  });
  it('knows only its own operations (no prototype lookups)', () => {
    for (const op of ['missing', 'constructor', '__proto__', 'toString', 42]) {
      expect(call(op)).toMatchObject({
        ok: false,
        error: { message: expect.stringContaining('unknown host operation') },
      });
    }
  });
});

describe('CpuBudget', () => {
  const ms = (n: number): bigint => BigInt(n) * 1_000_000n;
  it('adds up CPU over busy ticks and trips past the budget', () => {
    const budget = new CpuBudget(100);
    let cpu = 0;
    let tripped = false;
    for (let wall = 50; wall <= 100 && !tripped; wall += 50) {
      cpu += 50;
      tripped = budget.sample(ms(cpu), ms(wall));
    }
    expect(tripped).toBe(false);
    expect(budget.sample(ms(cpu + 50), ms(150))).toBe(true);
  });
  it('resets on an idle tick, so bursty but idle servers are never killed', () => {
    const budget = new CpuBudget(100);
    let cpu = 0;
    for (let tick = 1; tick <= 100; tick++) {
      cpu += tick % 2 === 0 ? 50 : 1; // busy, idle, busy, idle...
      expect(budget.sample(ms(cpu), ms(tick * 50))).toBe(false);
    }
  });
});

describe('exit mapping', () => {
  it('maps every limit signal back to its kind, and nothing else', () => {
    for (const [kind, signal] of Object.entries(LIMIT_SIGNALS)) expect(limitOfSignal(signal)).toBe(kind);
    for (const signal of ['SIGSEGV', 'SIGKILL', 'SIGTERM', 'SIGABRT', null] as const)
      expect(limitOfSignal(signal)).toBeUndefined();
    expect(exitInfoWithLimit({ code: null, signal: 'SIGXCPU' }, () => 'busy')).toEqual({
      code: null,
      signal: 'SIGXCPU',
      limit: { kind: 'cpu', detail: 'busy' },
    });
    expect(exitInfoWithLimit({ code: 1, signal: null }, () => 'x')).toEqual({ code: 1, signal: null });
  });
  it('truncates the guest’s exit code to a byte, as Node does', () => {
    expect(guestExitStatus(3)).toBe(3);
    expect(guestExitStatus(256 + 7)).toBe(7);
    expect(guestExitStatus(Number.NaN)).toBe(1);
  });
});
