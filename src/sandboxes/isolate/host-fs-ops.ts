import fs from 'node:fs';
import path from 'node:path';
import { copyFileWithoutSpecialBits } from './host-copy-file.ts';
import type { PathGuard } from './host-fs.ts';
import { safeMode } from './mode-bits.ts';
import { createsFile, isWriteOpen, openFlags } from './open-flags.ts';

/** One guest fs operation: copied arguments in, a copied value out (strings, numbers, plain objects, bytes). */
export type FsOp = (...args: unknown[]) => unknown;

interface OpenFile {
  fd: number;
  writable: boolean;
  /** The anchored path it was opened by (fchmod checks that the place is writable). */
  path: string;
}
const TYPES: [keyof fs.Dirent, string][] = [
  ['isFile', 'file'],
  ['isDirectory', 'dir'],
  ['isSymbolicLink', 'link'],
  ['isFIFO', 'fifo'],
  ['isSocket', 'socket'],
  ['isCharacterDevice', 'char'],
  ['isBlockDevice', 'block'],
];

/** The numeric fields of a Stats that cross into the guest (copied; the Stats object never does). */
const STAT_FIELDS = [
  'dev',
  'ino',
  'mode',
  'nlink',
  'uid',
  'gid',
  'rdev',
  'size',
  'blksize',
  'blocks',
  'atimeMs',
  'mtimeMs',
  'ctimeMs',
  'birthtimeMs',
] as const;

function statObject(stat: fs.Stats): Record<string, number> {
  return Object.fromEntries(STAT_FIELDS.map((field) => [field, stat[field]]));
}

function bytes(data: unknown): string | Uint8Array {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('data must be a string or bytes');
}

/**
 * The host side of the guest's fs shim. Every path goes through `guard.check` (anchored to the roots,
 * writes refused on read-only roots) before the real call; file descriptors are the guest's own small
 * numbers mapped to host descriptors, so the guest can never name one of the host's.
 */
export function createFsOps(guard: PathGuard): Record<string, FsOp> {
  const files = new Map<number, OpenFile>();
  let nextFd = 100;
  const file = (fd: unknown, write = false): OpenFile => {
    const open = files.get(Number(fd));
    if (!open) throw Object.assign(new Error('EBADF: bad file descriptor'), { code: 'EBADF', errno: -9 });
    if (write && !open.writable)
      throw Object.assign(new Error('EBADF: not open for writing'), { code: 'EBADF' });
    return open;
  };
  const read = (p: unknown): string => guard.check(p, false);
  const write = (p: unknown): string => guard.check(p, true);
  const capRead = (size: number): void => {
    if (size > guard.maxReadBytes) {
      throw Object.assign(
        new Error(`mcp-warden: file of ${size} bytes is larger than the isolate's memory limit`),
        {
          code: 'EFBIG',
        },
      );
    }
  };

  return {
    'fs.readFile': (target, encoding) => {
      const source = typeof target === 'number' ? file(target).fd : read(target);
      capRead(typeof source === 'number' ? fs.fstatSync(source).size : fs.statSync(source).size);
      return typeof encoding === 'string'
        ? fs.readFileSync(source, encoding as BufferEncoding)
        : fs.readFileSync(source);
    },
    'fs.writeFile': (target, data, flag, mode) => {
      if (typeof target === 'number') return fs.writeFileSync(file(target, true).fd, bytes(data));
      const flags = openFlags(flag ?? 'w');
      const absolute = write(target);
      const safe = safeMode(createsFile(flags) ? mode : undefined, 'open', absolute, 0o666);
      const fd = fs.openSync(absolute, flags, safe);
      try {
        return fs.writeFileSync(fd, bytes(data));
      } finally {
        fs.closeSync(fd);
      }
    },
    'fs.stat': (p, lstat) => statObject(lstat ? fs.lstatSync(read(p)) : fs.statSync(read(p))),
    'fs.fstat': (fd) => statObject(fs.fstatSync(file(fd).fd)),
    // One directory per call, never recursive: Node's recursive walk follows symlinks (a planted link
    // listed host directories, two links back to `.` kept the host busy). The guest recurses itself,
    // one anchored call per directory, into real directories only (issue 20 item 9).
    'fs.readdir': (p) =>
      fs.readdirSync(read(p), { withFileTypes: true }).map((entry) => ({
        name: entry.name,
        type: TYPES.find(([method]) => (entry[method] as () => boolean)())?.[1] ?? 'unknown',
        parent: entry.parentPath,
      })),
    'fs.mkdir': (p, recursive, mode) => {
      const absolute = write(p);
      const safe = safeMode(mode, 'mkdir', absolute, 0o777);
      return fs.mkdirSync(absolute, { recursive: Boolean(recursive), mode: safe }) ?? null;
    },
    'fs.rename': (from, to) => fs.renameSync(write(from), write(to)),
    'fs.copyFile': (from, to, mode) => copyFileWithoutSpecialBits(read(from), write(to), Number(mode) || 0),
    'fs.unlink': (p) => fs.unlinkSync(write(p)),
    'fs.rm': (p, recursive, force, dirOnly) =>
      dirOnly
        ? fs.rmdirSync(write(p))
        : fs.rmSync(write(p), { recursive: Boolean(recursive), force: Boolean(force) }),
    'fs.realpath': (p) => fs.realpathSync.native(read(p)),
    'fs.readlink': (p) => fs.readlinkSync(read(p)),
    'fs.symlink': (target, p) => fs.symlinkSync(String(target), write(p)),
    // W_OK in a read-only place is EROFS, as access(2) answers on a read-only mount.
    'fs.access': (p, mode) =>
      fs.accessSync((Number(mode) & fs.constants.W_OK) !== 0 ? write(p) : read(p), Number(mode)),
    'fs.chmod': (p, mode) => {
      const absolute = write(p);
      return fs.chmodSync(absolute, safeMode(mode, 'chmod', absolute, Number.NaN));
    },
    'fs.fchmod': (fd, mode) => {
      const open = file(fd);
      // The descriptor may be read-only, the place must not be: EROFS in a :ro root or the package.
      const absolute = write(open.path);
      return fs.fchmodSync(open.fd, safeMode(mode, 'fchmod', absolute, Number.NaN));
    },
    'fs.utimes': (p, atime, mtime) => fs.utimesSync(write(p), Number(atime), Number(mtime)),
    'fs.truncate': (p, len) => fs.truncateSync(write(p), Number(len)),
    'fs.mkdtemp': (prefix) => {
      write(path.dirname(path.resolve(String(prefix))));
      return fs.mkdtempSync(write(prefix));
    },
    // Numeric and string flags alike: any creating, truncating, appending or writing flag is a write
    // (EROFS in a read-only place), and a creation mode may not ask for setuid/setgid/sticky (EPERM).
    'fs.open': (p, flags, mode) => {
      const numeric = openFlags(flags ?? 'r');
      const writable = isWriteOpen(numeric);
      const absolute = writable ? write(p) : read(p);
      const safe = safeMode(createsFile(numeric) ? mode : undefined, 'open', absolute, 0o666);
      const hostFd = fs.openSync(absolute, numeric, safe);
      const fd = nextFd++;
      files.set(fd, { fd: hostFd, writable, path: absolute });
      return fd;
    },
    'fs.close': (fd) => {
      fs.closeSync(file(fd).fd);
      files.delete(Number(fd));
    },
    'fs.read': (fd, length, position) => {
      const count = Math.max(0, Math.min(Number(length), guard.maxReadBytes));
      const buffer = Buffer.alloc(count);
      const n = fs.readSync(file(fd).fd, buffer, 0, count, position === null ? null : Number(position));
      return new Uint8Array(buffer.buffer, buffer.byteOffset, n);
    },
    'fs.write': (fd, data, position) => {
      const chunk = bytes(data);
      const target = file(fd, true).fd;
      const at = position === null ? null : Number(position);
      return typeof chunk === 'string'
        ? fs.writeSync(target, chunk, at)
        : fs.writeSync(target, chunk, 0, chunk.byteLength, at);
    },
    'fs.fsync': (fd) => fs.fsyncSync(file(fd).fd),
    'fs.ftruncate': (fd, len) => fs.ftruncateSync(file(fd, true).fd, Number(len)),
  };
}
