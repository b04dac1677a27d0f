import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { leanStep, trimHeap } from '../../../src/cli/lean-warden.ts';

const newSpace = (): number =>
  v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? Number.NaN;

describe('leanStep', () => {
  it('waits for start-up to be over, trims at the first idle interval, once', () => {
    expect(leanStep(500, 0, false)).toBe('wait');
    expect(leanStep(1_999, 0, false)).toBe('wait');
    expect(leanStep(2_000, 0, false)).toBe('trim');
    expect(leanStep(2_000, 0.02, false)).toBe('trim');
    expect(leanStep(5_000, 0.05, false)).toBe('wait');
    expect(leanStep(5_000, 0, true)).toBe('wait');
  });

  it('counts a busy interval as traffic only after start-up ended in an idle one', () => {
    // A loaded machine stretches start-up: its CPU is not traffic.
    expect(leanStep(1_000, 0.9, false)).toBe('wait');
    expect(leanStep(6_000, 0.9, false)).toBe('wait');
    expect(leanStep(6_000, 0.25, true)).toBe('jit');
    expect(leanStep(60_000, 1.5, true)).toBe('jit');
    expect(leanStep(60_000, 0.2, true)).toBe('wait');
  });
});

describe('trimHeap', () => {
  it('shrinks the young generation that start-up grew', () => {
    // Grow the young generation the way start-up does: many short-lived objects that survive a while.
    let keep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) {
      keep.push({ i, text: `item ${i}` });
      if (keep.length > 50_000) keep = [];
    }
    const before = newSpace();
    trimHeap();
    expect(keep.length).toBeGreaterThan(0);
    expect(newSpace()).toBeLessThanOrEqual(Math.min(before, 2 * 1024 * 1024));
  });

  it('leaves no gc function to contexts created later (an isolate backend server must not get one)', () => {
    trimHeap();
    expect(vm.runInNewContext('typeof gc')).toBe('undefined');
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
  });
});
