import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpRoot } from '../../../helpers/tmp-root.ts';
import { CgroupFiles } from '../../../../src/sandboxes/docker/cgroup-files.ts';

describe('cgroup files kept open', () => {
  const tempDir = (): string => tmpRoot('cgroup-files');

  it('reads a file’s current text at each read, from one open', () => {
    const file = path.join(tempDir(), 'pids.events');
    writeFileSync(file, 'max 0\n');
    const files = new CgroupFiles();
    expect(files.read(file)).toBe('max 0\n');
    writeFileSync(file, 'max 12\n'); // rewritten in place, as the kernel regenerates a cgroup file
    expect(files.read(file)).toBe('max 12\n');
    writeFileSync(file, '7\n'); // shorter: no tail of the longer text is left
    expect(files.read(file)).toBe('7\n');
    files.close();
  });

  it('gives "" for a file it cannot open, and after close (a removed cgroup: tests/integration/sandboxes/cgroup-memory.test.ts)', () => {
    const dir = tempDir();
    const files = new CgroupFiles();
    expect(files.read(path.join(dir, 'memory.peak'))).toBe('');
    const kept = path.join(dir, 'memory.current');
    writeFileSync(kept, '4096\n');
    expect(files.read(kept)).toBe('4096\n');
    files.close();
    expect(files.read(kept)).toBe('');
  });
});
