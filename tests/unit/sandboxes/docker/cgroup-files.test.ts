import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CgroupFiles } from '../../../../src/sandboxes/docker/cgroup-files.ts';

describe('cgroup files kept open', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cgroup-files-'));
    dirs.push(dir);
    return dir;
  };

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
