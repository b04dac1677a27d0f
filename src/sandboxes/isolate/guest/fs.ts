// Guest shim for node:fs: the synchronous core, Node-style callbacks, promises and read/write streams.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { Buffer } from './buffer.ts';
import { EventEmitter } from './events.ts';
import promises from './fs-promises.ts';
import * as sync from './fs-sync.ts';
import { unavailable } from './unavailable.ts';

/** Node's callback form of a synchronous fs function: the callback runs on a later microtask. */
const withCallback =
  (fn: (...args: any[]) => unknown, errorFirstOnly = false) =>
  (...args: any[]): void => {
    const callback =
      typeof args.at(-1) === 'function' ? (args.pop() as (...a: unknown[]) => void) : undefined;
    queueMicrotask(() => {
      let result: unknown;
      try {
        result = fn(...args);
      } catch (error) {
        if (callback) callback(error);
        return;
      }
      if (!callback) return;
      if (errorFirstOnly) callback(null);
      else callback(null, result);
    });
  };

/** fs.createReadStream: reads with the host in highWaterMark chunks, one chunk per macrotask. */
class ReadStream extends EventEmitter {
  readonly path: string;
  bytesRead = 0;
  #fd: number | undefined;
  #position: number;
  readonly #end: number;
  readonly #chunk: number;
  readonly #encoding: string | undefined;
  #flowing = false;
  #destroyed = false;
  constructor(p: any, options: any = {}) {
    super();
    const opts = typeof options === 'string' ? { encoding: options } : options;
    this.path = sync.toPath(p);
    this.#position = opts.start ?? 0;
    this.#end = opts.end ?? Number.POSITIVE_INFINITY;
    this.#chunk = opts.highWaterMark ?? 65536;
    this.#encoding = opts.encoding;
    queueMicrotask(() => this.#open());
  }
  #open(): void {
    try {
      this.#fd = sync.openSync(this.path, 'r');
      this.emit('open', this.#fd);
      this.emit('ready');
      if (this.listenerCount('data') > 0) this.resume();
    } catch (error) {
      this.destroy(error as Error);
    }
  }
  override on(name: string | symbol, listener: (...args: any[]) => void): this {
    super.on(name, listener);
    if (name === 'data' && this.#fd !== undefined) this.resume();
    return this;
  }
  resume(): this {
    if (!this.#flowing && !this.#destroyed) {
      this.#flowing = true;
      setImmediate(() => this.#pump());
    }
    return this;
  }
  pause(): this {
    this.#flowing = false;
    return this;
  }
  #pump(): void {
    if (!this.#flowing || this.#destroyed || this.#fd === undefined) return;
    try {
      const want = Math.min(this.#chunk, this.#end - this.#position + 1);
      const buffer = Buffer.alloc(Math.max(0, want));
      const n = want > 0 ? sync.readSync(this.#fd, buffer, 0, want, this.#position) : 0;
      if (n === 0) {
        this.emit('end');
        this.destroy();
        return;
      }
      this.#position += n;
      this.bytesRead += n;
      const chunk = buffer.subarray(0, n);
      this.emit('data', this.#encoding ? chunk.toString(this.#encoding as BufferEncoding) : chunk);
      setImmediate(() => this.#pump());
    } catch (error) {
      this.destroy(error as Error);
    }
  }
  pipe<T extends { write(chunk: unknown): unknown; end(): unknown }>(dest: T): T {
    this.on('data', (chunk) => dest.write(chunk));
    this.on('end', () => dest.end());
    return dest;
  }
  destroy(error?: Error): this {
    if (this.#destroyed) return this;
    this.#destroyed = true;
    if (this.#fd !== undefined) {
      try {
        sync.closeSync(this.#fd);
      } catch {
        // Already closed.
      }
    }
    if (error) this.emit('error', error);
    this.emit('close');
    return this;
  }
  close(callback?: () => void): void {
    this.destroy();
    callback?.();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<unknown> {
    const chunks: unknown[] = [];
    let done = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    this.on('data', (chunk) => (chunks.push(chunk), wake?.()));
    this.on('end', () => ((done = true), wake?.()));
    this.on('error', (error) => ((failure = error), wake?.()));
    for (;;) {
      if (chunks.length > 0) yield chunks.shift();
      else if (failure) throw failure;
      else if (done) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  }
}

/** fs.createWriteStream: each write is a host write on the open descriptor. */
class WriteStream extends EventEmitter {
  readonly path: string;
  bytesWritten = 0;
  readonly #fd: number;
  constructor(p: any, options: any = {}) {
    super();
    const opts = typeof options === 'string' ? { encoding: options } : options;
    this.path = sync.toPath(p);
    this.#fd = sync.openSync(this.path, opts.flags ?? 'w', opts.mode ?? 0o666);
    queueMicrotask(() => (this.emit('open', this.#fd), this.emit('ready')));
  }
  write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const done = typeof encoding === 'function' ? encoding : callback;
    const data =
      typeof chunk === 'string' && typeof encoding === 'string'
        ? Buffer.from(chunk, encoding as BufferEncoding)
        : chunk;
    this.bytesWritten += sync.writeSync(this.#fd, data);
    if (typeof done === 'function') queueMicrotask(() => (done as (e: null) => void)(null));
    return true;
  }
  end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    const done = [chunk, encoding, callback].find((v) => typeof v === 'function') as (() => void) | undefined;
    if (chunk !== undefined && typeof chunk !== 'function')
      this.write(chunk, typeof encoding === 'string' ? encoding : undefined);
    sync.closeSync(this.#fd);
    queueMicrotask(() => {
      this.emit('finish');
      this.emit('close');
      done?.();
    });
    return this;
  }
  destroy(): this {
    return this.end();
  }
}

export const { Stats, Dirent, constants } = sync;
export const {
  readFileSync,
  writeFileSync,
  appendFileSync,
  statSync,
  lstatSync,
  fstatSync,
  readdirSync,
  mkdirSync,
  renameSync,
  copyFileSync,
  unlinkSync,
  rmdirSync,
  rmSync,
  realpathSync,
  readlinkSync,
  symlinkSync,
  accessSync,
  existsSync,
  chmodSync,
  fchmodSync,
  utimesSync,
  truncateSync,
  mkdtempSync,
  openSync,
  closeSync,
  readSync,
  writeSync,
  fsyncSync,
  ftruncateSync,
} = sync;
export const readFile = withCallback(sync.readFileSync);
export const writeFile = withCallback(sync.writeFileSync, true);
export const appendFile = withCallback(sync.appendFileSync, true);
export const stat = withCallback(sync.statSync);
export const lstat = withCallback(sync.lstatSync);
export const fstat = withCallback(sync.fstatSync);
export const readdir = withCallback(sync.readdirSync);
export const mkdir = withCallback(sync.mkdirSync);
export const rename = withCallback(sync.renameSync, true);
export const copyFile = withCallback(sync.copyFileSync, true);
export const unlink = withCallback(sync.unlinkSync, true);
export const rmdir = withCallback(sync.rmdirSync, true);
export const rm = withCallback(sync.rmSync, true);
export const realpath = Object.assign(withCallback(sync.realpathSync), {
  native: withCallback(sync.realpathSync),
});
export const readlink = withCallback(sync.readlinkSync);
export const symlink = withCallback(sync.symlinkSync, true);
export const access = withCallback(sync.accessSync, true);
export const chmod = withCallback(sync.chmodSync, true);
export const fchmod = withCallback(sync.fchmodSync, true);
export const utimes = withCallback(sync.utimesSync, true);
export const truncate = withCallback(sync.truncateSync, true);
export const mkdtemp = withCallback(sync.mkdtempSync);
export const open = withCallback(sync.openSync);
export const close = withCallback(sync.closeSync, true);
export const read = (
  fd: number,
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number | null,
  callback: (e: unknown, n?: number, b?: Uint8Array) => void,
): void =>
  queueMicrotask(() => {
    try {
      callback(null, sync.readSync(fd, buffer, offset, length, position), buffer);
    } catch (error) {
      callback(error);
    }
  });
export const exists = (p: any, callback: (exists: boolean) => void): void =>
  queueMicrotask(() => callback(sync.existsSync(p)));
export const createReadStream = (p: any, options?: any): ReadStream => new ReadStream(p, options);
export const createWriteStream = (p: any, options?: any): WriteStream => new WriteStream(p, options);
export const watch = unavailable('fs', 'watch');
export const watchFile = unavailable('fs', 'watchFile');
export const unwatchFile = (): void => undefined;
export { promises, ReadStream, WriteStream };

export default {
  ...sync,
  readFile,
  writeFile,
  appendFile,
  stat,
  lstat,
  fstat,
  readdir,
  mkdir,
  rename,
  copyFile,
  unlink,
  rmdir,
  rm,
  realpath,
  readlink,
  symlink,
  access,
  chmod,
  fchmod,
  utimes,
  truncate,
  mkdtemp,
  open,
  close,
  read,
  exists,
  createReadStream,
  createWriteStream,
  watch,
  watchFile,
  unwatchFile,
  promises,
  ReadStream,
  WriteStream,
};
