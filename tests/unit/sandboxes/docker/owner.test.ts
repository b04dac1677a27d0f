import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

  it('a zombie has no start time: it died, only its exit status is left (a warden killed, not yet reaped)', async () => {
    // The child is killed only once its parent has become `sleep` (exec), which never collects
    // it. A child that exits before the exec is reaped by the shell itself (seen in CI).
    const parent = spawn('sh', ['-c', 'sleep 30 & echo $!; exec sleep 30'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = Number(
        await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(String(d)))),
      );
      const parentCommand = (): string => {
        try {
          return readFileSync(`/proc/${parent.pid as number}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      };
      for (let i = 0; i < 500 && !parentCommand().startsWith('sleep'); i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(parentCommand()).toMatch(/^sleep/);
      process.kill(pid, 'SIGKILL');
      const state = (): string => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        } catch {
          return '';
        }
      };
      for (let i = 0; i < 200 && state() !== 'Z'; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(state()).toBe('Z');
      expect(processStartTime(pid)).toBe('');
      expect(processStartTime(parent.pid as number)).toMatch(/^\d+$/);
    } finally {
      parent.kill('SIGKILL');
    }
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
