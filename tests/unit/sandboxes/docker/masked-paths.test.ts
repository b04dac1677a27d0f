import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerMaskedPaths, thermalThrottlePaths } from '../../../../src/sandboxes/docker/masked-paths.ts';

describe('masked paths', () => {
  it('thermalThrottlePaths lists the CPUs that have one, and nothing when the directory is missing', () => {
    const cpus = mkdtempSync(path.join(tmpdir(), 'mcp-warden-cpus-'));
    mkdirSync(path.join(cpus, 'cpu0', 'thermal_throttle'), { recursive: true });
    mkdirSync(path.join(cpus, 'cpu1'));
    mkdirSync(path.join(cpus, 'cpufreq', 'thermal_throttle'), { recursive: true });
    expect(thermalThrottlePaths(cpus)).toEqual([path.join(cpus, 'cpu0', 'thermal_throttle')]);
    expect(thermalThrottlePaths(path.join(cpus, 'absent'))).toEqual([]);
  });

  it('containerMaskedPaths keeps each path once', () => {
    const paths = containerMaskedPaths(['/proc/keys', '/x']);
    expect(paths.filter((p) => p === '/proc/keys')).toHaveLength(1);
    expect(paths).toContain('/proc/key-users');
    expect(paths.at(-1)).toBe('/x');
  });
});
