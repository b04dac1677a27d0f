// Regression: realpath() fails on a dangling symlink, so the policy took it for a file that does not
// exist yet, inside the root. But open(O_CREAT) follows the link and creates its target, wherever that
// is: a write_file to $B/data/dangling-out would have created a file outside every root.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../../src/policy/decide.ts';
import { call, fromClient, makeCtx, makeState, makeTree, removeTree, type Tree } from '../fixture.ts';

let tree: Tree;
let outside: string;
beforeAll(() => {
  tree = makeTree();
  const data = tree.roots[0]?.path ?? '';
  outside = path.join(tree.base, 'not-a-root', 'created-by-write.txt');
  fs.symlinkSync(outside, path.join(data, 'dangling-out')); // absolute target, outside, missing
  fs.symlinkSync('../data-evil/new.txt', path.join(data, 'dangling-rel')); // relative, outside, missing
  fs.symlinkSync('future.txt', path.join(data, 'dangling-in')); // relative, inside, missing
  fs.symlinkSync('hop2', path.join(data, 'hop1')); // a chain ending outside
  fs.symlinkSync(outside, path.join(data, 'hop2'));
  fs.symlinkSync('loop-b', path.join(data, 'loop-a')); // a loop: the kernel gives ELOOP
  fs.symlinkSync('loop-a', path.join(data, 'loop-b'));
});
afterAll(() => removeTree(tree));

function verdictFor(name: string): string {
  const ctx = makeCtx(tree);
  // Concatenated, not path.join()ed: join would normalise `link/..` away before the policy sees it.
  const target = `${tree.roots[0]?.path ?? ''}/${name}`;
  const verdict = decide(fromClient(call('write_file', { path: target, content: 'x' })), makeState(), ctx);
  return verdict.action === 'allow' ? 'allow' : verdict.rule;
}

describe('dangling symlinks are followed like the kernel follows them on create', () => {
  it.each([
    ['dangling-out', 'path.outside-root'],
    ['dangling-rel', 'path.outside-root'],
    ['hop1', 'path.outside-root'],
    ['dangling-in', 'allow'],
    ['loop-a', 'allow'], // nothing can be created through a loop: the server gets ELOOP
    ['dangling-out/../notes.txt', 'path.outside-root'],
  ])('write_file %s → %s', (name, expected) => {
    expect(verdictFor(name)).toBe(expected);
  });

  it('nothing was created outside (the policy only reads the tree)', () => {
    expect(fs.existsSync(outside)).toBe(false);
  });
});
