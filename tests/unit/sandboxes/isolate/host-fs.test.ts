// The host side of the fs shim: every path anchored with the policy's own path code.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PathGuard } from '../../../../src/sandboxes/isolate/host-fs.ts';
import { createFsOps } from '../../../../src/sandboxes/isolate/host-fs-ops.ts';
import { outsideSecret, type OutsideSecret, tmpRoot, trackForCleanup } from '../../../helpers/tmp-root.ts';

let ROOT: string;
let RO: string;
let CODE: string;
let secret: OutsideSecret;
let guard: PathGuard;

beforeAll(() => {
  ROOT = tmpRoot('hostfs');
  RO = tmpRoot('hostfs-ro');
  CODE = tmpRoot('hostfs-code');
  secret = outsideSecret();
  mkdirSync(trackForCleanup(`${ROOT}-evil`));
  writeFileSync(path.join(ROOT, 'a.txt'), 'a');
  writeFileSync(path.join(RO, 'ro.txt'), 'ro');
  writeFileSync(path.join(CODE, 'index.js'), 'code');
  symlinkSync(secret.file, path.join(ROOT, 'link-out'));
  symlinkSync(path.join(ROOT, 'a.txt'), path.join(ROOT, 'link-in'));
  guard = new PathGuard({
    roots: [
      { path: ROOT, realPath: ROOT, readOnly: false },
      { path: RO, realPath: RO, readOnly: true },
    ],
    readOnlyPaths: [CODE],
    cwd: ROOT,
    maxReadBytes: 1024,
  });
});

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('PathGuard.check', () => {
  it('allows paths inside the roots, resolving relative ones against the cwd', () => {
    expect(guard.check(path.join(ROOT, 'a.txt'), true)).toBe(path.join(ROOT, 'a.txt'));
    expect(guard.check('new/file.txt', true)).toBe(path.join(ROOT, 'new/file.txt'));
    expect(guard.check(path.join(ROOT, 'link-in'), false)).toBe(path.join(ROOT, 'link-in'));
  });

  it('refuses outside paths with EACCES: absolute, "..", string-prefix siblings, symlinks out', () => {
    expect(code(() => guard.check(secret.file, false))).toBe('EACCES');
    expect(code(() => guard.check('../x', false))).toBe('EACCES');
    expect(code(() => guard.check(`${ROOT}-evil/x`, true))).toBe('EACCES');
    expect(code(() => guard.check(path.join(ROOT, 'link-out'), false))).toBe('EACCES');
    expect(code(() => guard.check('/etc/passwd', false))).toBe('EACCES');
    expect(code(() => guard.check(`${ROOT}/a\0b`, false))).toBe('EACCES');
  });

  it('refuses writes to read-only roots and to the server’s own code with EROFS, allows reads', () => {
    expect(guard.check(path.join(RO, 'ro.txt'), false)).toBe(path.join(RO, 'ro.txt'));
    expect(code(() => guard.check(path.join(RO, 'ro.txt'), true))).toBe('EROFS');
    expect(guard.check(path.join(CODE, 'index.js'), false)).toBe(path.join(CODE, 'index.js'));
    expect(code(() => guard.check(path.join(CODE, 'index.js'), true))).toBe('EROFS');
  });
});

describe('createFsOps', () => {
  it('reads and writes inside, and nothing happens outside', () => {
    const ops = createFsOps(guard);
    ops['fs.writeFile']?.(path.join(ROOT, 'b.txt'), 'bee', 'w', 0o644);
    expect(readFileSync(path.join(ROOT, 'b.txt'), 'utf8')).toBe('bee');
    expect(ops['fs.readFile']?.(path.join(ROOT, 'b.txt'), 'utf8')).toBe('bee');
    expect(code(() => ops['fs.writeFile']?.(path.join(secret.dir, 'planted'), 'x', 'w', 0o644))).toBe(
      'EACCES',
    );
    expect(code(() => ops['fs.rename']?.(path.join(ROOT, 'b.txt'), path.join(secret.dir, 'b.txt')))).toBe(
      'EACCES',
    );
    expect(readFileSync(path.join(ROOT, 'b.txt'), 'utf8')).toBe('bee');
  });

  it('maps descriptors: the guest can only name files it opened, and read-only opens cannot write', () => {
    const ops = createFsOps(guard);
    for (const fd of [0, 1, 2, 3]) expect(code(() => ops['fs.read']?.(fd, 10, null))).toBe('EBADF');
    const fd = ops['fs.open']?.(path.join(RO, 'ro.txt'), 'r', 0o666);
    expect(fd).toBeGreaterThanOrEqual(100);
    expect(code(() => ops['fs.write']?.(fd, 'x', null))).toBe('EBADF');
    expect(code(() => ops['fs.open']?.(path.join(RO, 'ro.txt'), 'a', 0o666))).toBe('EROFS');
    ops['fs.close']?.(fd);
    expect(code(() => ops['fs.read']?.(fd, 10, null))).toBe('EBADF');
  });

  it('refuses to read a file larger than the isolate could hold', () => {
    writeFileSync(path.join(ROOT, 'big.bin'), Buffer.alloc(2048));
    expect(code(() => createFsOps(guard)['fs.readFile']?.(path.join(ROOT, 'big.bin'), null))).toBe('EFBIG');
  });
});
