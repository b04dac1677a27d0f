import { describe, expect, it } from 'vitest';
import { narrowRoots } from '../../../src/cli/narrow-roots.ts';
import { WardenError } from '../../../src/errors.ts';

const root = (p: string, readOnly = false) => ({ path: p, realPath: p, readOnly, links: [] });

describe('narrowRoots (a profile with roots limits the --root values)', () => {
  it('leaves --root alone when the profile names no roots, and uses the profile roots when no --root is given', () => {
    expect(narrowRoots([root('/data')], undefined, 'p')).toEqual([root('/data')]);
    expect(narrowRoots([], [root('/data/a', true)], 'p')).toEqual([root('/data/a', true)]);
  });

  it('narrows a wider --root to the profile roots inside it, read-only when either is', () => {
    expect(narrowRoots([root('/data')], [root('/data/a', true), root('/data/b')], 'p')).toEqual([
      root('/data/a', true),
      root('/data/b'),
    ]);
    expect(narrowRoots([root('/data/b/c', true)], [root('/data/b')], 'p')).toEqual([root('/data/b/c', true)]);
    expect(narrowRoots([root('/data/a')], [root('/data/a', true)], 'p')).toEqual([root('/data/a', true)]);
  });

  it('refuses a --root outside every profile root (component-wise: /data-evil is not /data)', () => {
    expect(() => narrowRoots([root('/data-evil')], [root('/data')], 'learned')).toThrow(WardenError);
    expect(() => narrowRoots([root('/data-evil')], [root('/data')], 'learned')).toThrow(
      '--root /data-evil: outside the roots profile "learned" limits the server to (/data)',
    );
    expect(() => narrowRoots([root('/data')], [], 'learned')).toThrow('outside the roots');
  });
});
