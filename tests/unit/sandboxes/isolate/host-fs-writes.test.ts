// Issue 20 items 3, 4, 9: the host side of the fs shim runs with the warden's rights, so (4) every open
// that can change a file is a write, by numeric or string flags; (3) no setuid/setgid/sticky file comes
// out of it, by mode arguments or by copying; (9) it never walks directories itself.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { PathGuard } from '../../../../src/sandboxes/isolate/host-fs.ts';
import { createFsOps, type FsOp } from '../../../../src/sandboxes/isolate/host-fs-ops.ts';
import { createsFile, isWriteOpen, openFlags } from '../../../../src/sandboxes/isolate/open-flags.ts';
import { outsideSecret, tmpRoot } from '../../../helpers/tmp-root.ts';

const O = { RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 0o100, EXCL: 0o200, TRUNC: 0o1000, APPEND: 0o2000 };
const O_TMPFILE = 0o20200000;

let ROOT: string;
let RO: string;
let CODE: string;
let ops: Record<string, FsOp>;

beforeEach(() => {
  ROOT = tmpRoot('hostfs-w');
  RO = tmpRoot('hostfs-w-ro');
  CODE = tmpRoot('hostfs-w-code');
  writeFileSync(path.join(ROOT, 'a.txt'), 'a');
  writeFileSync(path.join(RO, 'ro.txt'), 'read only');
  writeFileSync(path.join(CODE, 'index.js'), 'code');
  ops = createFsOps(
    new PathGuard({
      roots: [
        { path: ROOT, realPath: ROOT, readOnly: false },
        { path: RO, realPath: RO, readOnly: true },
      ],
      readOnlyPaths: [CODE],
      cwd: ROOT,
      maxReadBytes: 1 << 20,
    }),
  );
});

const call = (op: string, ...args: unknown[]): unknown => (ops[op] as FsOp)(...args);
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};
const special = (file: string): number => statSync(file).mode & 0o7000;

describe('open flags', () => {
  it('classifies every creating, truncating, appending or writing flag as a write, numeric or string', () => {
    for (const flags of [O.WRONLY, O.RDWR, O.CREAT, O.TRUNC, O.APPEND, O_TMPFILE, O.RDONLY | O.TRUNC])
      expect(isWriteOpen(openFlags(flags)), flags.toString(8)).toBe(true);
    for (const flags of ['r+', 'rs+', 'sr+', 'w', 'wx', 'w+', 'a', 'ax', 'as', 'a+', 'as+'])
      expect(isWriteOpen(openFlags(flags)), flags).toBe(true);
    for (const flags of ['r', 'rs', O.RDONLY, O.RDONLY | 0o200000 /* O_DIRECTORY */])
      expect(isWriteOpen(openFlags(flags)), String(flags)).toBe(false);
    expect(createsFile(openFlags('w'))).toBe(true);
    expect(createsFile(O_TMPFILE)).toBe(true);
    expect(createsFile(openFlags('r+'))).toBe(false);
    for (const bad of ['rw', '514', -1, 1.5, null, {}])
      expect(() => openFlags(bad)).toThrow(/Invalid open flags/);
  });

  it.each([
    ['O_RDONLY|O_TRUNC', O.RDONLY | O.TRUNC],
    ['O_RDONLY|O_CREAT', O.RDONLY | O.CREAT],
    ['O_RDONLY|O_APPEND', O.RDONLY | O.APPEND],
    ['O_WRONLY', O.WRONLY],
    ["'r+'", 'r+'],
    ["'rs+'", 'rs+'],
    ["'ax'", 'ax'],
  ])('%s on a :ro root and on the server package is EROFS, and changes nothing', (_name, flags) => {
    expect(code(() => call('fs.open', path.join(RO, 'ro.txt'), flags, 0o644))).toBe('EROFS');
    expect(code(() => call('fs.open', path.join(RO, 'new.txt'), flags, 0o644))).toBe('EROFS');
    expect(code(() => call('fs.open', path.join(CODE, 'new.js'), flags, 0o644))).toBe('EROFS');
    expect(readFileSync(path.join(RO, 'ro.txt'), 'utf8')).toBe('read only');
    expect(existsSync(path.join(RO, 'new.txt'))).toBe(false);
    expect(existsSync(path.join(CODE, 'new.js'))).toBe(false);
  });

  it('O_RDONLY still reads a :ro root; numeric writes work in the rw root', () => {
    const fd = call('fs.open', path.join(RO, 'ro.txt'), O.RDONLY, 0o666);
    expect(Buffer.from(call('fs.read', fd, 100, null) as Uint8Array).toString()).toBe('read only');
    const out = call('fs.open', path.join(ROOT, 'n.txt'), O.WRONLY | O.CREAT | O.EXCL, 0o600);
    call('fs.write', out, 'numeric', null);
    call('fs.close', out);
    expect(readFileSync(path.join(ROOT, 'n.txt'), 'utf8')).toBe('numeric');
    expect(statSync(path.join(ROOT, 'n.txt')).mode & 0o777).toBe(0o600);
  });
});

describe('no setuid, setgid or sticky file', () => {
  it.each([0o4755, 0o2755, 0o1777, 0o6777])(
    'refuses mode %s with EPERM in chmod, open, writeFile, mkdir',
    (mode) => {
      expect(code(() => call('fs.chmod', path.join(ROOT, 'a.txt'), mode))).toBe('EPERM');
      expect(code(() => call('fs.open', path.join(ROOT, 'o.txt'), O.WRONLY | O.CREAT, mode))).toBe('EPERM');
      expect(code(() => call('fs.open', path.join(ROOT, 'o.txt'), 'w', mode))).toBe('EPERM');
      expect(code(() => call('fs.writeFile', path.join(ROOT, 'w.txt'), 'x', 'w', mode))).toBe('EPERM');
      expect(code(() => call('fs.mkdir', path.join(ROOT, 'd'), false, mode))).toBe('EPERM');
      const fd = call('fs.open', path.join(ROOT, 'a.txt'), 'r', 0o666);
      expect(code(() => call('fs.fchmod', fd, mode))).toBe('EPERM');
      expect(special(path.join(ROOT, 'a.txt'))).toBe(0);
      for (const made of ['o.txt', 'w.txt', 'd']) expect(existsSync(path.join(ROOT, made))).toBe(false);
    },
  );

  it('copyFile of a setuid file copies the content and permissions, never the special bits', () => {
    const source = path.join(ROOT, 'suid');
    writeFileSync(source, '#!/bin/sh\nid\n');
    chmodSync(source, 0o6755);
    call('fs.copyFile', source, path.join(ROOT, 'copy'), 0);
    expect(readFileSync(path.join(ROOT, 'copy'), 'utf8')).toBe('#!/bin/sh\nid\n');
    expect(statSync(path.join(ROOT, 'copy')).mode & 0o7777).toBe(0o755);
    // Onto an existing destination that already carries the bits: they go too.
    writeFileSync(path.join(ROOT, 'existing'), 'old old old');
    chmodSync(path.join(ROOT, 'existing'), 0o4711);
    call('fs.copyFile', source, path.join(ROOT, 'existing'), 0);
    expect(statSync(path.join(ROOT, 'existing')).mode & 0o7777).toBe(0o755);
    expect(readFileSync(path.join(ROOT, 'existing'), 'utf8')).toBe('#!/bin/sh\nid\n');
    expect(code(() => call('fs.copyFile', source, path.join(ROOT, 'copy'), 1 /* COPYFILE_EXCL */))).toBe(
      'EEXIST',
    );
    expect(code(() => call('fs.copyFile', source, path.join(RO, 'copy'), 0))).toBe('EROFS');
    // Onto itself: nothing lost.
    call('fs.copyFile', path.join(ROOT, 'a.txt'), path.join(ROOT, 'a.txt'), 0);
    expect(readFileSync(path.join(ROOT, 'a.txt'), 'utf8')).toBe('a');
  });

  it('plain modes still work: chmod 0o600, mkdir 0o700, fchmod on a :ro root is EROFS', () => {
    call('fs.chmod', path.join(ROOT, 'a.txt'), 0o600);
    expect(statSync(path.join(ROOT, 'a.txt')).mode & 0o7777).toBe(0o600);
    call('fs.mkdir', path.join(ROOT, 'p'), false, 0o700);
    expect(statSync(path.join(ROOT, 'p')).mode & 0o7777).toBe(0o700);
    const fd = call('fs.open', path.join(RO, 'ro.txt'), 'r', 0o666);
    expect(code(() => call('fs.fchmod', fd, 0o600))).toBe('EROFS');
    expect(code(() => call('fs.access', path.join(RO, 'ro.txt'), 2 /* W_OK */))).toBe('EROFS');
  });
});

describe('readdir', () => {
  it('lists one directory per call, links as links: nothing behind a planted link', () => {
    const secret = outsideSecret();
    mkdirSync(path.join(ROOT, 'sub'));
    symlinkSync(secret.dir, path.join(ROOT, 'sub', 'out'));
    symlinkSync('.', path.join(ROOT, 'sub', 'loop'));
    const entries = call('fs.readdir', path.join(ROOT, 'sub'), true) as { name: string; type: string }[];
    expect(entries.map((e) => `${e.name}:${e.type}`).sort()).toEqual(['loop:link', 'out:link']);
    expect(code(() => call('fs.readdir', path.join(ROOT, 'sub', 'out')))).toBe('EACCES');
  });
});
