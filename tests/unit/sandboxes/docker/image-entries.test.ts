import { describe, expect, it } from 'vitest';
import { collectHostEntries, type HostFs } from '../../../../src/sandboxes/docker/image/image-entries.ts';
import { nodeImageEntries } from '../../../../src/sandboxes/docker/image/node-image.ts';

/** A fake host: /lib → usr/lib (merged /usr), a versioned soname symlink, node in /opt. */
function fakeFs(tree: Record<string, { link?: string; dir?: true; size?: number }>): HostFs {
  return {
    lstat(file) {
      const node = tree[file];
      if (node === undefined) throw Object.assign(new Error(`ENOENT ${file}`), { code: 'ENOENT' });
      return {
        isSymbolicLink: () => node.link !== undefined,
        isDirectory: () => node.dir === true,
        isFile: () => node.link === undefined && node.dir !== true,
        mode: node.dir ? 0o40755 : 0o100755,
        size: node.size ?? 0,
      };
    },
    readlink(file) {
      return tree[file]?.link ?? '';
    },
  };
}

const tree = {
  '/lib': { link: 'usr/lib' },
  '/usr': { dir: true as const },
  '/usr/lib': { dir: true as const },
  '/usr/lib/x86_64-linux-gnu': { dir: true as const },
  '/usr/lib/x86_64-linux-gnu/libstdc++.so.6': { link: 'libstdc++.so.6.0.30' },
  '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30': { size: 10 },
  '/opt': { dir: true as const },
  '/opt/node': { dir: true as const },
  '/opt/node/node': { size: 99 },
};

describe('collectHostEntries', () => {
  it('reproduces symlinked directories and sonames as links, files as copies, parents first', () => {
    const entries = collectHostEntries(['/lib/x86_64-linux-gnu/libstdc++.so.6'], fakeFs(tree));
    expect(entries).toEqual([
      { type: 'symlink', name: '/lib', target: 'usr/lib' },
      { type: 'directory', name: '/usr', mode: 0o755 },
      { type: 'directory', name: '/usr/lib', mode: 0o755 },
      { type: 'directory', name: '/usr/lib/x86_64-linux-gnu', mode: 0o755 },
      { type: 'symlink', name: '/usr/lib/x86_64-linux-gnu/libstdc++.so.6', target: 'libstdc++.so.6.0.30' },
      {
        type: 'file',
        name: '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30',
        mode: 0o755,
        size: 10,
        source: '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30',
      },
    ]);
  });

  it('refuses missing files and symlink loops', () => {
    expect(() => collectHostEntries(['/nope'], fakeFs(tree))).toThrow(/ENOENT/);
    expect(() =>
      collectHostEntries(['/a/x'], fakeFs({ '/a': { link: '/b' }, '/b': { link: '/a' } })),
    ).toThrow(/too many/);
  });
});

describe('nodeImageEntries', () => {
  it('node at /usr/local/bin/node and hard-linked at its host path; passwd/group; nothing else runnable', () => {
    const host = collectHostEntries(['/opt/node/node', '/lib/x86_64-linux-gnu/libstdc++.so.6'], fakeFs(tree));
    const entries = nodeImageEntries('/opt/node/node', host);
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('/usr/local/bin/node')).toMatchObject({
      type: 'file',
      size: 99,
      source: '/opt/node/node',
    });
    expect(byName.get('/opt/node/node')).toEqual({
      type: 'link',
      name: '/opt/node/node',
      target: '/usr/local/bin/node',
    });
    expect(byName.get('/etc/passwd')).toMatchObject({ type: 'content' });
    expect(byName.get('/tmp')).toMatchObject({ type: 'directory', mode: 0o1777 });
    const files = entries.filter((e) => e.type === 'file').map((e) => e.name);
    expect(files).toEqual(['/usr/local/bin/node', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30']);
    expect(entries.some((e) => /\/(sh|bash|apt|dpkg)$/.test(e.name))).toBe(false);
    // Each name once; the link's target comes before the link.
    expect(new Set(entries.map((e) => e.name)).size).toBe(entries.length);
    expect(entries.findIndex((e) => e.name === '/usr/local/bin/node')).toBeLessThan(
      entries.findIndex((e) => e.name === '/opt/node/node'),
    );
  });
});
