import { describe, expect, it } from 'vitest';
import { type LinkLookups, recordedParent, symlinksOnPath } from '../../../src/config/root-links.ts';

/** A fake filesystem: `links` maps absolute link paths to their targets; every other path exists. */
function fakeFs(links: Record<string, string>): LinkLookups {
  return {
    isSymlink: (file) => file in links,
    readlink: (file) => links[file] as string,
  };
}

describe('symlinksOnPath', () => {
  it('lists nothing for a path without links', () => {
    expect(symlinksOnPath('/a/b/c', fakeFs({}))).toEqual([]);
  });

  it('finds a relative link and reports where it lies (its directory resolved)', () => {
    expect(symlinksOnPath('/data/root/future', fakeFs({ '/data/root/future': '../secret' }))).toEqual([
      { link: '/data/root/future', target: '../secret' },
    ]);
  });

  it('follows links inside link targets, and links in resolved directories', () => {
    const fs = fakeFs({ '/a/l1': '/b/l2/x', '/b/l2': '../c', '/c/x/l3': 'y' });
    expect(symlinksOnPath('/a/l1/l3/z', fs)).toEqual([
      { link: '/a/l1', target: '/b/l2/x' },
      { link: '/b/l2', target: '../c' },
      { link: '/c/x/l3', target: 'y' },
    ]);
  });

  it('applies ".." after a link to the link target, as the kernel does', () => {
    const fs = fakeFs({ '/a/link': '/deep/dir', '/deep/other': '/z' });
    expect(symlinksOnPath('/a/link/../other', fs)).toEqual([
      { link: '/a/link', target: '/deep/dir' },
      { link: '/deep/other', target: '/z' },
    ]);
  });

  it('stops a loop like ELOOP', () => {
    expect(() => symlinksOnPath('/a/loop', fakeFs({ '/a/loop': 'loop' }))).toThrow(/too many levels/);
  });
});

describe('recordedParent', () => {
  it('matches the directory itself or below, by components', () => {
    expect(recordedParent('/data/root', ['/data/root'])).toBe('/data/root');
    expect(recordedParent('/data/root/sub', ['/x', '/data/root'])).toBe('/data/root');
    expect(recordedParent('/data/root-evil', ['/data/root'])).toBeUndefined();
    expect(recordedParent('/anything', ['/'])).toBe('/');
  });
});
