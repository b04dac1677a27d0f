import { describe, expect, it } from 'vitest';
import {
  cgroupDir,
  memoryPollMs,
  parseBytes,
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
    // v1 memory.oom_control: the OOM-kill count, not the switches around it.
    expect(parseMemoryHits('oom_kill_disable 0\nunder_oom 0\noom_kill 1\n')).toBe(1);
    expect(parseMemoryHits('oom_kill_disable 1\nunder_oom 1\noom_kill 0\n')).toBe(0);
  });

  it('reads byte counts, with v1 and v2 "no limit" as 0', () => {
    expect(parseBytes('134217728\n')).toBe(128 * 2 ** 20);
    expect(parseBytes('max\n')).toBe(0);
    expect(parseBytes('9223372036854771712\n')).toBe(0);
    expect(parseBytes('')).toBe(0);
  });

  it('reads faster once usage is at half the limit', () => {
    const limit = 128 * 2 ** 20;
    expect(memoryPollMs(10 * 2 ** 20, limit)).toBe(50);
    expect(memoryPollMs(64 * 2 ** 20, limit)).toBe(10);
    expect(memoryPollMs(500 * 2 ** 20, 0)).toBe(50); // unlimited
  });

  it('reads runc containers four times a second, near the limit too (their evidence stays)', () => {
    const limit = 128 * 2 ** 20;
    expect(memoryPollMs(10 * 2 ** 20, limit, 'relaxed')).toBe(250);
    expect(memoryPollMs(120 * 2 ** 20, limit, 'relaxed')).toBe(250);
    expect(memoryPollMs(120 * 2 ** 20, limit, 'prompt')).toBe(10);
  });

  it('an OOM kill, or a SIGKILL not the warden’s at or near the memory limit, is the memory limit; nothing else is', () => {
    const limit = 128 * 2 ** 20;
    const seen = (hits: number, peakMiB: number) => ({ hits, peak: peakMiB * 2 ** 20, limit });
    expect(memoryVerdict(true, seen(0, 0), 137)?.kind).toBe('memory');
    expect(memoryVerdict(true, seen(0, 0), 137, true)?.kind).toBe('memory'); // the engine's word stands
    expect(memoryVerdict(false, seen(5, 10), 137)?.detail).toContain('5 times');
    expect(memoryVerdict(false, seen(0, 120), 137)?.detail).toContain('120 of its 128 MiB');
    expect(memoryVerdict(false, seen(5, 128), 1)).toBeUndefined(); // exited on its own after pressure
    expect(memoryVerdict(false, seen(0, 60), 137)).toBeUndefined(); // killed, far from the limit
    expect(memoryVerdict(false, { hits: 0, peak: 0, limit: 0 }, 137)).toBeUndefined(); // nothing readable
    // The stop ladder's own SIGKILL of a server that held its page cache near the limit.
    expect(memoryVerdict(false, seen(3, 127), 137, true)).toBeUndefined();
  });
});
