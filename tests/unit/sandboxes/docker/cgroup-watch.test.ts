import { describe, expect, it } from 'vitest';
import {
  cgroupDir,
  parseMemoryHits,
  parsePidsEvents,
} from '../../../../src/sandboxes/docker/cgroup-watch.ts';
import { memoryVerdict, pidsVerdict } from '../../../../src/sandboxes/docker/container-sandbox.ts';

describe('pids cgroup', () => {
  it('finds the v1 pids hierarchy, else the v2 unified one', () => {
    const v1 = '12:memory:/docker/abc\n8:pids:/docker/abc\n0::/system.slice\n';
    expect(cgroupDir(v1, 'pids')).toBe('/sys/fs/cgroup/pids/docker/abc');
    expect(cgroupDir('0::/system.slice/docker-abc.scope\n', 'pids')).toBe(
      '/sys/fs/cgroup/system.slice/docker-abc.scope',
    );
    expect(cgroupDir('3:cpu,cpuacct:/x\n', 'pids')).toBeUndefined();
  });

  it('reads the refused-fork counter', () => {
    expect(parsePidsEvents('max 0\n')).toBe(0);
    expect(parsePidsEvents('max 17\n')).toBe(17);
    expect(parsePidsEvents('')).toBe(0);
  });

  it('attributes an exit to the pids limit on a refusal, or an abnormal death at the limit’s edge', () => {
    const watch = (refused: number, tasks: number, limit: number) => ({
      refused: () => refused,
      peak: () => ({ tasks, limit }),
    });
    expect(pidsVerdict(watch(3, 10, 256), 0)?.kind).toBe('pids');
    expect(pidsVerdict(watch(0, 250, 256), 2)?.detail).toContain('250 of its 256');
    expect(pidsVerdict(watch(0, 250, 256), 0)).toBeUndefined(); // a clean exit is not a limit
    expect(pidsVerdict(watch(0, 40, 256), 2)).toBeUndefined(); // a crash far from the limit is not either
    expect(pidsVerdict(watch(0, 0, 0), 137)).toBeUndefined(); // nothing readable
  });
});

describe('memory cgroup', () => {
  it('finds the v1 memory hierarchy, else the unified one, and reads how often the limit was hit', () => {
    expect(cgroupDir('9:memory:/docker/abc\n8:pids:/docker/abc\n', 'memory')).toBe(
      '/sys/fs/cgroup/memory/docker/abc',
    );
    expect(cgroupDir('0::/docker/abc\n', 'memory')).toBe('/sys/fs/cgroup/docker/abc');
    expect(parseMemoryHits('42\n')).toBe(42); // v1 memory.failcnt
    expect(parseMemoryHits('low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n')).toBe(4); // v2 memory.events
    expect(parseMemoryHits('low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n')).toBe(0);
  });

  it('an OOM kill, or a SIGKILL after hitting the memory limit, is the memory limit; nothing else is', () => {
    expect(memoryVerdict(true, 0, 137)?.kind).toBe('memory');
    expect(memoryVerdict(false, 5, 137)?.detail).toContain('5 times');
    expect(memoryVerdict(false, 5, 1)).toBeUndefined(); // exited on its own after pressure
    expect(memoryVerdict(false, 0, 137)).toBeUndefined(); // killed, but never at the limit
  });
});
