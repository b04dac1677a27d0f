import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../src/policy/decide.ts';
import { call, fromClient, makeCtx, makeState, makeTree, removeTree } from './fixture.ts';
import type { Tree } from './fixture.ts';

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => removeTree(tree));

const PIECES = ['data', 'data-evil', 'sub', 'link-out', 'link-in', '..', '.', '', 'x', '%2e%2e', '~'];

const within = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);

/**
 * Independent oracle: is `value` (as read_file's path) inside a root? Decodes a file:// URI once,
 * expands ~, then requires (a) path.resolve against the first root to be inside a root and (b) the
 * realpath of the longest existing prefix of the raw path, plus the rest resolved lexically, to be
 * inside a root's real path.
 */
function oracleInside(value: string): boolean {
  const roots = tree.roots;
  let p = value;
  if (p.startsWith('file://')) {
    p = p.slice('file://'.length);
    if (!p.startsWith('/')) return false; // a host
    try {
      p = decodeURIComponent(p);
    } catch {
      return false;
    }
  }
  if (p === '~' || p.startsWith('~/')) p = tree.home + p.slice(1);
  else if (p.startsWith('~')) return false;
  const first = roots[0]!.path;
  const lexical = path.resolve(first, p);
  if (!roots.some((r) => within(lexical, r.path) || within(lexical, r.realPath))) return false;
  const raw = p.startsWith('/') ? p : `${first}/${p}`;
  for (let end = raw.length; end > 0; end = raw.lastIndexOf('/', end - 1)) {
    let real: string;
    try {
      real = fs.realpathSync(raw.slice(0, end));
    } catch {
      continue;
    }
    const kernel = path.resolve(real, `.${raw.slice(end)}`);
    return roots.some((r) => within(real, r.realPath) && within(kernel, r.realPath));
  }
  return false;
}

describe('property: nothing outside a root is ever allowed', () => {
  it('every allowed path is inside by an independent oracle', () => {
    const base = () => tree.base;
    const prefix = fc.constantFrom(
      () => '',
      () => '/',
      () => `${base()}/`,
      () => `${base()}/data/`,
      () => 'file://',
      () => `file://${base()}/`,
      () => `file://${base()}/data/`,
      () => '~/',
    );
    const value = fc
      .tuple(prefix, fc.array(fc.constantFrom(...PIECES), { minLength: 0, maxLength: 8 }))
      .map(([pre, pieces]) => pre() + pieces.join('/'));
    const ctx = makeCtx(tree);
    const state = makeState();
    let allowed = 0;
    let denied = 0;
    fc.assert(
      fc.property(value, (v) => {
        const verdict = decide(fromClient(call('read_file', { path: v })), state, ctx);
        if (verdict.action !== 'allow') {
          denied++;
          return true;
        }
        allowed++;
        return oracleInside(v);
      }),
      { seed: 20_240_917, numRuns: 2000 },
    );
    // Both outcomes occur, so the property is not vacuous.
    expect(allowed).toBeGreaterThan(100);
    expect(denied).toBeGreaterThan(100);
  });

  it('decide never throws, whatever the string', () => {
    const ctx = makeCtx(tree);
    const state = makeState();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), fc.boolean(), (s, asUri) => {
        const v = asUri ? `file://${s}` : s;
        const verdict = decide(fromClient(call('read_file', { path: v })), state, ctx);
        if (verdict.action === 'allow') expect(oracleInside(v)).toBe(true);
      }),
      { seed: 7, numRuns: 1000 },
    );
  });
});
