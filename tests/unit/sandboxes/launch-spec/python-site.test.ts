import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLddSections } from '../../../../src/sandboxes/launch-spec/extension-libraries.ts';
import {
  findSharedObjects,
  pthDirectories,
  pthPathLines,
} from '../../../../src/sandboxes/launch-spec/python-site.ts';

const temp = (): string => realpathSync(mkdtempSync(path.join(tmpdir(), 'mcp-warden-site-')));

describe('.pth files', () => {
  it('yields path lines (relative to the site dir), never import lines, comments or blanks', () => {
    expect(
      pthPathLines(
        '# comment\n\nimport os; os.system("x")\nimport\tsys\n../shared\n/abs/src  \n',
        '/v/lib/site',
      ),
    ).toEqual(['/v/lib/shared', '/abs/src']);
  });

  it('reads the existing directories of every .pth file, in name order', () => {
    const site = temp();
    const a = path.join(site, 'a-dir');
    const b = temp();
    mkdirSync(a);
    writeFileSync(path.join(site, 'z.pth'), `${b}\n`);
    writeFileSync(path.join(site, 'a.pth'), 'a-dir\n/does/not/exist\nimport evil\n');
    writeFileSync(path.join(site, '.hidden.pth'), `${b}\n`);
    expect(pthDirectories(site)).toEqual([a, b]);
  });
});

describe('findSharedObjects', () => {
  it('finds *.so below the directories without following directory links', () => {
    const root = temp();
    mkdirSync(path.join(root, 'pkg', 'sub'), { recursive: true });
    writeFileSync(path.join(root, 'pkg', '_ext.cpython-311-x86_64-linux-gnu.so'), '');
    writeFileSync(path.join(root, 'pkg', 'sub', 'libbundled.so'), '');
    writeFileSync(path.join(root, 'pkg', 'sub', 'libbundled.so.1'), '');
    writeFileSync(path.join(root, 'pkg', 'mod.py'), '');
    const elsewhere = temp();
    writeFileSync(path.join(elsewhere, 'outside.so'), '');
    symlinkSync(elsewhere, path.join(root, 'pkg', 'link'));
    const found = findSharedObjects([root]);
    expect(found.truncated).toBe(false);
    expect(found.files.sort()).toEqual([
      path.join(root, 'pkg', '_ext.cpython-311-x86_64-linux-gnu.so'),
      path.join(root, 'pkg', 'sub', 'libbundled.so'),
    ]);
  });
});

describe('parseLddSections', () => {
  it('splits "FILE:" sections; collects libraries and "not found" sonames per file', () => {
    const text = [
      '/v/a.so:',
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f01)',
      '\tlibfoo.so.3 => not found',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f02)',
      '/v/b.so:',
      '\tlibrt.so.1 => /lib/x86_64-linux-gnu/librt.so.1 (0x00007f03)',
      '',
    ].join('\n');
    expect(parseLddSections(text, ['/v/a.so', '/v/b.so'])).toEqual(
      new Map([
        [
          '/v/a.so',
          {
            libraries: ['/lib/x86_64-linux-gnu/libgcc_s.so.1', '/lib64/ld-linux-x86-64.so.2'],
            missing: ['libfoo.so.3'],
          },
        ],
        ['/v/b.so', { libraries: ['/lib/x86_64-linux-gnu/librt.so.1'], missing: [] }],
      ]),
    );
  });

  it('gives a lone file everything (ldd prints no header for one file)', () => {
    expect(parseLddSections('\tlibm.so.6 => /lib/libm.so.6 (0x1)\n', ['/v/x.so'])).toEqual(
      new Map([['/v/x.so', { libraries: ['/lib/libm.so.6'], missing: [] }]]),
    );
  });
});
