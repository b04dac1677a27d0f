import { describe, expect, it } from 'vitest';
import {
  currentOwner,
  formatOwner,
  isOrphaned,
  parseOwner,
  processStartTime,
} from '../../../../src/sandboxes/docker/owner.ts';

const self = { host: 'h', bootId: 'b', pid: 10, startTime: '100' };

describe('owner labels', () => {
  it('round-trips and rejects malformed values', () => {
    expect(parseOwner(formatOwner(self))).toEqual(self);
    expect(parseOwner('h/b/x/1')).toBeUndefined();
    expect(parseOwner('nonsense')).toBeUndefined();
  });

  it('this process has a start time and a boot id', () => {
    const me = currentOwner();
    expect(me.pid).toBe(process.pid);
    expect(me.startTime).toMatch(/^\d+$/);
    expect(processStartTime(2 ** 22 + 12345)).toBe('');
  });

  it('reaps only containers of this host whose warden is gone (pid reuse included)', () => {
    const alive = (pid: number): string => (pid === 20 ? '200' : '');
    expect(isOrphaned({ ...self, host: 'other', pid: 99 }, self, alive)).toBe(false);
    expect(isOrphaned({ ...self, bootId: 'old' }, self, alive)).toBe(true);
    expect(isOrphaned(self, self, alive)).toBe(false);
    expect(isOrphaned({ ...self, pid: 20, startTime: '200' }, self, alive)).toBe(false);
    expect(isOrphaned({ ...self, pid: 20, startTime: '150' }, self, alive)).toBe(true); // pid reused
    expect(isOrphaned({ ...self, pid: 30, startTime: '1' }, self, alive)).toBe(true);
  });
});
