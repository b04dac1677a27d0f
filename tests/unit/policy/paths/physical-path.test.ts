import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelResolve, physicalPath } from '../../../../src/policy/paths/kernel.ts';
import { createResolver } from '../../../../src/policy/paths/resolver.ts';
import { hostPaths } from '../../../../src/util/host-paths.ts';

// physicalPath answers from one realpath(3) when it can (issue 19, the per-call cost of a path). It must
// give exactly kernelResolve's answer for every path, on a real tree full of the links that make the
// two walks differ if either is wrong: relative and absolute links, links before `..`, chains, links to
// files and to missing names, a loop, and names that do not exist.
const top = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-physical-')));
afterAll(() => rmSync(top, { recursive: true, force: true }));

mkdirSync(path.join(top, 'r', 'd', 'e'), { recursive: true });
mkdirSync(path.join(top, 'outside', 'deep'), { recursive: true });
writeFileSync(path.join(top, 'r', 'd', 'file'), 'x');
writeFileSync(path.join(top, 'outside', 'secret'), 'x');
const link = (name: string, target: string): void => symlinkSync(target, path.join(top, name));
link('r/in', 'd'); // relative, inside
link('r/out', path.join(top, 'outside')); // absolute, outside
link('r/d/up', '..'); // relative, upward
link('r/d/e/far', '../../../outside/deep'); // relative, leaving
link('r/chain', 'in'); // a link to a link
link('r/tofile', 'd/file'); // a link to a file
link('r/dangling', 'missing/x'); // a link to nothing
link('r/loop', 'loop'); // ELOOP
link('r/self', '.');

const components = ['r', 'd', 'e', 'in', 'out', 'up', 'far', 'chain', 'tofile', 'file', 'dangling'];
const more = ['loop', 'self', 'missing', '..', '.', '', 'deep', 'secret'];

/** Every path of up to three components after `top/r` (and a few from `top`), deterministic. */
function candidates(): string[] {
  const names = [...components, ...more];
  const out = new Set<string>();
  for (const a of names)
    for (const b of names) {
      out.add(`${top}/r/${a}/${b}`);
      out.add(`${top}/${a}/${b}`);
      for (const c of ['..', 'file', 'x', 'secret', 'deep', 'up', '']) out.add(`${top}/r/${a}/${b}/${c}`);
    }
  return [...out];
}

describe('physicalPath', () => {
  it('equals kernelResolve on every path of a tree of links (thousands of paths)', () => {
    const paths = candidates();
    expect(paths.length).toBeGreaterThan(2000);
    const branches = { realpath: 0, newName: 0, walk: 0 };
    for (const raw of paths) {
      const resolver = createResolver(hostPaths.realpath, hostPaths.readlink, undefined, hostPaths.exists);
      const expected = kernelResolve(raw, hostPaths.readlink);
      const dir = hostPaths.realpath(path.posix.dirname(raw));
      const name = path.posix.basename(raw);
      if (hostPaths.realpath(raw) !== undefined) branches.realpath++;
      else if (dir !== undefined && !['', '.', '..'].includes(name) && !hostPaths.exists(`${dir}/${name}`))
        branches.newName++;
      else branches.walk++;
      expect({ raw, resolved: physicalPath(raw, resolver) }).toEqual({ raw, resolved: expected });
    }
    // Every branch is exercised: paths that exist (one realpath), a missing name in a directory that
    // exists (the directory's realpath), and the rest (the walk: dangling links, loops, deeper misses).
    expect(branches.realpath).toBeGreaterThan(200);
    expect(branches.newName).toBeGreaterThan(200);
    expect(branches.walk).toBeGreaterThan(200);
  });

  it('falls back to the walk when realpath fails: a dangling link is followed to where O_CREAT would write', () => {
    const resolver = createResolver(hostPaths.realpath, hostPaths.readlink, undefined, hostPaths.exists);
    expect(physicalPath(`${top}/r/dangling`, resolver)).toBe(`${top}/r/missing/x`);
    expect(physicalPath(`${top}/r/out/new-file`, resolver)).toBe(`${top}/outside/new-file`);
  });

  it('follows a link before a later `..`, as the kernel does', () => {
    const resolver = createResolver(hostPaths.realpath, hostPaths.readlink, undefined, hostPaths.exists);
    expect(physicalPath(`${top}/r/out/deep/..`, resolver)).toBe(`${top}/outside`);
    expect(physicalPath(`${top}/r/d/e/far/..`, resolver)).toBe(`${top}/outside`);
  });
});
