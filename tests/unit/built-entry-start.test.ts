import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staleBuild } from '../helpers/built-entry-start.ts';

describe('the start-of-run check that dist/ is built from the current sources', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** src/ and dist/ with the given files, each with its modification time in seconds. */
  function tree(files: Record<string, number>): { src: string; dist: string } {
    dir = mkdtempSync(path.join(tmpdir(), 'mcp-warden-built-entry-'));
    for (const [name, seconds] of Object.entries(files)) {
      const file = path.join(dir, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, '');
      utimesSync(file, seconds, seconds);
    }
    return { src: path.join(dir, 'src'), dist: path.join(dir, 'dist') };
  }

  it('passes when every source has a build at least as new', () => {
    const { src, dist } = tree({
      'src/a.ts': 100,
      'src/sub/b.ts': 100,
      'dist/a.js': 100,
      'dist/sub/b.js': 200,
    });
    expect(staleBuild(src, dist)).toBeUndefined();
  });

  it('names a source edited after the build', () => {
    const { src, dist } = tree({
      'src/a.ts': 100,
      'src/sub/b.ts': 300,
      'dist/a.js': 200,
      'dist/sub/b.js': 200,
    });
    expect(staleBuild(src, dist)).toMatch(/^sub\/b\.ts changed after it was built into .*dist\/sub\/b\.js$/);
  });

  it('names a source that was never built', () => {
    const { src, dist } = tree({ 'src/a.ts': 100, 'src/new.ts': 100, 'dist/a.js': 200 });
    expect(staleBuild(src, dist)).toMatch(/^new\.ts has no build \(.*new\.js is missing\)$/);
  });
});
