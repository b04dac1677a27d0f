// Guest side of node:fs, synchronous core. Every call is a copy-in/copy-out host call; the host anchors
// each path to the roots with the policy engine's path code before touching the filesystem.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { host } from './bridge.ts';
import { Buffer } from './buffer.ts';

type PathLike = string | Uint8Array | { href: string; protocol: string };
type Options = string | Record<string, any> | undefined;

const S_IFMT = 0o170000;
const kind = (mode: number, bits: number): boolean => (mode & S_IFMT) === bits;

/** fs.Stats from the host's copied numbers. */
export class Stats {
  [key: string]: unknown;
  declare mode: number;
  declare size: number;
  constructor(raw: Record<string, number>) {
    Object.assign(this, raw);
    for (const name of ['atime', 'mtime', 'ctime', 'birthtime'])
      this[name] = new Date(raw[`${name}Ms`] as number);
  }
  isFile(): boolean {
    return kind(this.mode, 0o100000);
  }
  isDirectory(): boolean {
    return kind(this.mode, 0o040000);
  }
  isSymbolicLink(): boolean {
    return kind(this.mode, 0o120000);
  }
  isFIFO(): boolean {
    return kind(this.mode, 0o010000);
  }
  isSocket(): boolean {
    return kind(this.mode, 0o140000);
  }
  isCharacterDevice(): boolean {
    return kind(this.mode, 0o020000);
  }
  isBlockDevice(): boolean {
    return kind(this.mode, 0o060000);
  }
}

/** fs.Dirent. */
export class Dirent {
  readonly name: string;
  readonly parentPath: string;
  readonly path: string;
  readonly #type: string;
  constructor(name: string, type: string, parentPath: string) {
    this.name = name;
    this.#type = type;
    this.parentPath = parentPath;
    this.path = parentPath;
  }
  isFile(): boolean {
    return this.#type === 'file';
  }
  isDirectory(): boolean {
    return this.#type === 'dir';
  }
  isSymbolicLink(): boolean {
    return this.#type === 'link';
  }
  isFIFO(): boolean {
    return this.#type === 'fifo';
  }
  isSocket(): boolean {
    return this.#type === 'socket';
  }
  isCharacterDevice(): boolean {
    return this.#type === 'char';
  }
  isBlockDevice(): boolean {
    return this.#type === 'block';
  }
}

/** A path argument as a string (file: URLs and Buffers accepted, as in Node). */
export function toPath(p: PathLike): string {
  if (typeof p === 'string') return p;
  if (p instanceof Uint8Array) return Buffer.from(p).toString('utf8');
  if (p && typeof p === 'object' && typeof p.href === 'string')
    return host<string>('url.fileURLToPath', p.href);
  throw new TypeError('The "path" argument must be of type string, Buffer or URL');
}

const encodingOf = (options: Options): string | undefined =>
  typeof options === 'string' ? options : (options?.encoding ?? undefined);
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
/** Bytes for the host: strings stay strings (the host encodes them). */
const payload = (data: unknown, encoding?: string): string | Uint8Array => {
  if (typeof data === 'string')
    return encoding && encoding !== 'utf8' && encoding !== 'utf-8'
      ? Buffer.from(data, encoding as BufferEncoding)
      : data;
  if (data instanceof Uint8Array) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return String(data);
};
const decoded = (value: string | Uint8Array): string | Buffer =>
  typeof value === 'string' ? value : asBuffer(value);

export function readFileSync(file: PathLike | number, options?: Options): string | Buffer {
  const encoding = encodingOf(options);
  const target = typeof file === 'number' ? file : toPath(file);
  return decoded(host<string | Uint8Array>('fs.readFile', target, encoding ?? null));
}
export function writeFileSync(file: PathLike | number, data: unknown, options?: Options): void {
  const opts = typeof options === 'string' ? { encoding: options } : (options ?? {});
  host(
    'fs.writeFile',
    typeof file === 'number' ? file : toPath(file),
    payload(data, opts.encoding),
    opts.flag ?? 'w',
    opts.mode ?? 0o666,
  );
}
export function appendFileSync(file: PathLike | number, data: unknown, options?: Options): void {
  const opts = typeof options === 'string' ? { encoding: options } : (options ?? {});
  host(
    'fs.writeFile',
    typeof file === 'number' ? file : toPath(file),
    payload(data, opts.encoding),
    opts.flag ?? 'a',
    opts.mode ?? 0o666,
  );
}
export const statSync = (p: PathLike, options?: Options): Stats | undefined => {
  try {
    return new Stats(host<Record<string, number>>('fs.stat', toPath(p), false));
  } catch (error) {
    if (
      typeof options === 'object' &&
      options?.throwIfNoEntry === false &&
      (error as { code?: string }).code === 'ENOENT'
    )
      return undefined;
    throw error;
  }
};
export const lstatSync = (p: PathLike): Stats =>
  new Stats(host<Record<string, number>>('fs.stat', toPath(p), true));
export const fstatSync = (fd: number): Stats => new Stats(host<Record<string, number>>('fs.fstat', fd));
interface Listed {
  name: string;
  type: string;
  /** Path of the entry's directory relative to the listed one ('' for its own entries). */
  within: string;
}
const joinPath = (dir: string, name: string): string =>
  name === '' ? dir : dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
/**
 * The entries of `dir`; with `recursive`, of every directory below it too, in Node's breadth-first
 * order. The walk happens here, one host call (anchored to the roots) per directory, and descends
 * only into real directories, never through a symlink: no link can lead it out, no loop can keep it
 * going, and the guest's own CPU and heap limits bound it (issue 20 item 9).
 */
function listDirectory(dir: string, recursive: boolean): Listed[] {
  const all: Listed[] = [];
  const queue = [''];
  for (let i = 0; i < queue.length; i++) {
    const within = queue[i] as string;
    for (const { name, type } of host<{ name: string; type: string }[]>(
      'fs.readdir',
      joinPath(dir, within),
    )) {
      all.push({ name, type, within });
      if (recursive && type === 'dir') queue.push(joinPath(within, name).replace(/^\//, ''));
    }
  }
  return all;
}
export function readdirSync(p: PathLike, options?: Options): (string | Dirent)[] {
  const dir = toPath(p);
  const opts = typeof options === 'string' ? { encoding: options } : (options ?? {});
  const entries = listDirectory(dir, Boolean(opts.recursive));
  if (opts.withFileTypes) return entries.map((e) => new Dirent(e.name, e.type, joinPath(dir, e.within)));
  return entries.map((e) => joinPath(e.within, e.name).replace(/^\//, ''));
}
export const mkdirSync = (p: PathLike, options?: number | string | Record<string, any>): string | undefined =>
  host<string | undefined>(
    'fs.mkdir',
    toPath(p),
    typeof options === 'object' && options !== null ? Boolean(options.recursive) : false,
    typeof options === 'object' && options !== null ? options.mode : options,
  ) ?? undefined;
export const renameSync = (from: PathLike, to: PathLike): void =>
  void host('fs.rename', toPath(from), toPath(to));
export const copyFileSync = (from: PathLike, to: PathLike, mode = 0): void =>
  void host('fs.copyFile', toPath(from), toPath(to), mode);
export const unlinkSync = (p: PathLike): void => void host('fs.unlink', toPath(p));
export const rmdirSync = (p: PathLike, options?: Record<string, any>): void =>
  void host('fs.rm', toPath(p), Boolean(options?.recursive), false, true);
export const rmSync = (p: PathLike, options?: Record<string, any>): void =>
  void host('fs.rm', toPath(p), Boolean(options?.recursive), Boolean(options?.force), false);
export const realpathSync = Object.assign((p: PathLike): string => host<string>('fs.realpath', toPath(p)), {
  native: (p: PathLike): string => host<string>('fs.realpath', toPath(p)),
});
export const readlinkSync = (p: PathLike): string => host<string>('fs.readlink', toPath(p));
export const symlinkSync = (target: PathLike, p: PathLike): void =>
  void host('fs.symlink', toPath(target), toPath(p));
export const accessSync = (p: PathLike, mode = 0): void => void host('fs.access', toPath(p), mode);
export const existsSync = (p: PathLike): boolean => {
  try {
    accessSync(p);
    return true;
  } catch {
    return false;
  }
};
export const chmodSync = (p: PathLike, mode: number | string): void =>
  void host('fs.chmod', toPath(p), typeof mode === 'string' ? Number.parseInt(mode, 8) : mode);
export const fchmodSync = (fd: number, mode: number | string): void =>
  void host('fs.fchmod', fd, typeof mode === 'string' ? Number.parseInt(mode, 8) : mode);
export const utimesSync = (p: PathLike, atime: number | Date, mtime: number | Date): void =>
  void host(
    'fs.utimes',
    toPath(p),
    Number(atime instanceof Date ? atime.getTime() / 1000 : atime),
    Number(mtime instanceof Date ? mtime.getTime() / 1000 : mtime),
  );
export const truncateSync = (p: PathLike, len = 0): void => void host('fs.truncate', toPath(p), len);
export const mkdtempSync = (prefix: string): string => host<string>('fs.mkdtemp', prefix);
export const openSync = (p: PathLike, flags: string | number = 'r', mode = 0o666): number =>
  host<number>('fs.open', toPath(p), flags, mode);
export const closeSync = (fd: number): void => void host('fs.close', fd);
export const fsyncSync = (fd: number): void => void host('fs.fsync', fd);
export const ftruncateSync = (fd: number, len = 0): void => void host('fs.ftruncate', fd, len);
export function readSync(
  fd: number,
  buffer: Uint8Array,
  offset?: any,
  length?: number,
  position?: number | bigint | null,
): number {
  let off = offset ?? 0;
  let len = length;
  let pos = position;
  if (typeof offset === 'object' && offset !== null)
    ({ offset: off = 0, length: len, position: pos } = offset);
  const count = len ?? buffer.byteLength - off;
  const bytes = host<Uint8Array>(
    'fs.read',
    fd,
    count,
    pos === undefined || pos === null ? null : Number(pos),
  );
  buffer.set(bytes, off);
  return bytes.byteLength;
}
export function writeSync(fd: number, data: unknown, offset?: any, length?: any, position?: any): number {
  if (typeof data === 'string')
    return host<number>('fs.write', fd, data, typeof offset === 'number' ? offset : null);
  const bytes = data as Uint8Array;
  const off = typeof offset === 'number' ? offset : 0;
  const len = typeof length === 'number' ? length : bytes.byteLength - off;
  return host<number>(
    'fs.write',
    fd,
    new Uint8Array(bytes.buffer, bytes.byteOffset + off, len),
    typeof position === 'number' ? position : null,
  );
}

export const constants = {
  F_OK: 0,
  R_OK: 4,
  W_OK: 2,
  X_OK: 1,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_CREAT: 64,
  O_EXCL: 128,
  O_TRUNC: 512,
  O_APPEND: 1024,
  O_NONBLOCK: 2048,
  O_DSYNC: 4096,
  O_DIRECTORY: 65536,
  O_NOFOLLOW: 131072,
  O_SYNC: 1052672,
  COPYFILE_EXCL: 1,
  COPYFILE_FICLONE: 2,
  COPYFILE_FICLONE_FORCE: 4,
  S_IFMT,
  S_IFREG: 0o100000,
  S_IFDIR: 0o040000,
  S_IFLNK: 0o120000,
};
