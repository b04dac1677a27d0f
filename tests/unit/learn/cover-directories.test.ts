import { describe, expect, it } from 'vitest';
import { coverDirectories, MAX_ROOTS_PER_ROOT } from '../../../src/learn/cover-directories.ts';

const rw = { realPath: '/data', readOnly: false };
const need = (dir: string, write = false) => ({ dir, write, why: `${write ? 'write' : 'read'} ${dir}` });

describe('coverDirectories', () => {
  it('keeps the fewest directories covering every need, component-wise', () => {
    expect(
      coverDirectories(
        [need('/data/a/b'), need('/data/a'), need('/data/a-evil'), need('/data/c/d')],
        [rw],
      ).map((r) => r.path),
    ).toEqual(['/data/a', '/data/a-evil', '/data/c/d']);
  });

  it('makes written directories read-write; a read-only one inside them is covered, one around them kept', () => {
    const roots = coverDirectories(
      [need('/data/out/sub'), need('/data/out', true), need('/data'), need('/data/x/y', true)],
      [rw],
    );
    expect(roots.map((r) => [r.path, r.readOnly])).toEqual([
      ['/data', true],
      ['/data/out', false],
      ['/data/x/y', false],
    ]);
    expect(roots[1]?.because).toEqual(['read /data/out/sub', 'write /data/out']);
  });

  it('never grants write in a read-only session root, nor anything outside the session roots', () => {
    expect(
      coverDirectories(
        [need('/ro/a', true), need('/elsewhere', true)],
        [{ realPath: '/ro', readOnly: true }],
      ),
    ).toEqual([{ path: '/ro/a', readOnly: true, because: ['write /ro/a'] }]);
  });

  it(`merges more than ${MAX_ROOTS_PER_ROOT} directories under one root into their common ancestor, never above the root`, () => {
    const many = Array.from({ length: MAX_ROOTS_PER_ROOT + 1 }, (_, i) => need(`/data/p/d${i}`));
    expect(coverDirectories(many, [rw]).map((r) => [r.path, r.readOnly])).toEqual([['/data/p', true]]);
    const spread = [...many, need('/data/q', true)];
    expect(coverDirectories(spread, [rw]).map((r) => [r.path, r.readOnly])).toEqual([['/data', false]]);
  });
});
