import fs from 'node:fs';
import path from 'node:path';
import type { PathGuard } from './host-fs.ts';

/** One guest fs operation: copied arguments in, a copied value out (strings, numbers, plain objects, bytes). */
export type FsOp = (...args: unknown[]) => unknown;

interface OpenFile {
  fd: number;
  writable: boolean;
}

const WRITE_FLAGS = /[wa+]/;
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
      return fs.writeFileSync(write(target), bytes(data), { flag: String(flag), mode: Number(mode) });
    },
    'fs.stat': (p, lstat) => statObject(lstat ? fs.lstatSync(read(p)) : fs.statSync(read(p))),
    'fs.fstat': (fd) => statObject(fs.fstatSync(file(fd).fd)),
    'fs.readdir': (p, recursive) =>
      fs.readdirSync(read(p), { withFileTypes: true, recursive: Boolean(recursive) }).map((entry) => ({
        name: entry.name,
        type: TYPES.find(([method]) => (entry[method] as () => boolean)())?.[1] ?? 'unknown',
        parent: entry.parentPath,
      })),
    'fs.mkdir': (p, recursive) => fs.mkdirSync(write(p), { recursive: Boolean(recursive) }) ?? null,
    'fs.rename': (from, to) => fs.renameSync(write(from), write(to)),
    'fs.copyFile': (from, to, mode) => fs.copyFileSync(read(from), write(to), Number(mode)),
    'fs.unlink': (p) => fs.unlinkSync(write(p)),
    'fs.rm': (p, recursive, force, dirOnly) =>
      dirOnly
        ? fs.rmdirSync(write(p))
        : fs.rmSync(write(p), { recursive: Boolean(recursive), force: Boolean(force) }),
    'fs.realpath': (p) => fs.realpathSync.native(read(p)),
    'fs.readlink': (p) => fs.readlinkSync(read(p)),
    'fs.symlink': (target, p) => fs.symlinkSync(String(target), write(p)),
    'fs.access': (p, mode) => fs.accessSync(read(p), Number(mode)),
    'fs.chmod': (p, mode) => fs.chmodSync(write(p), Number(mode)),
    'fs.utimes': (p, atime, mtime) => fs.utimesSync(write(p), Number(atime), Number(mtime)),
    'fs.truncate': (p, len) => fs.truncateSync(write(p), Number(len)),
    'fs.mkdtemp': (prefix) => {
      write(path.dirname(path.resolve(String(prefix))));
      return fs.mkdtempSync(write(prefix));
    },
    'fs.open': (p, flags, mode) => {
      const writable = typeof flags === 'number' ? (flags & 3) !== 0 : WRITE_FLAGS.test(String(flags));
      const hostFd = fs.openSync(writable ? write(p) : read(p), flags as fs.OpenMode, Number(mode));
      const fd = nextFd++;
      files.set(fd, { fd: hostFd, writable });
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
