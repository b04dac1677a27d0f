// Guest shim for node:fs/promises: the synchronous host calls of fs-sync.ts, settled as promises.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { Buffer } from './buffer.ts';
import * as sync from './fs-sync.ts';

const later =
  <A extends any[], R>(fn: (...args: A) => R) =>
  async (...args: A): Promise<R> =>
    fn(...args);

/** fs/promises FileHandle over a host file descriptor. */
export class FileHandle {
  readonly fd: number;
  constructor(fd: number) {
    this.fd = fd;
  }
  async read(
    buffer?: any,
    offset?: any,
    length?: number,
    position?: number | null,
  ): Promise<{ bytesRead: number; buffer: Uint8Array }> {
    let target = buffer;
    if (target === undefined || (typeof target === 'object' && !(target instanceof Uint8Array))) {
      const opts = target ?? {};
      target = opts.buffer ?? Buffer.alloc(16384);
      offset = opts.offset;
      length = opts.length;
      position = opts.position;
    }
    const bytesRead = sync.readSync(
      this.fd,
      target,
      offset ?? 0,
      length ?? target.byteLength - (offset ?? 0),
      position ?? null,
    );
    return { bytesRead, buffer: target };
  }
  async write(
    data: any,
    offset?: any,
    length?: any,
    position?: any,
  ): Promise<{ bytesWritten: number; buffer: any }> {
    return { bytesWritten: sync.writeSync(this.fd, data, offset, length, position), buffer: data };
  }
  async readFile(options?: any): Promise<string | Buffer> {
    return sync.readFileSync(this.fd, options);
  }
  async writeFile(data: unknown, options?: any): Promise<void> {
    sync.writeFileSync(this.fd, data, options);
  }
  async appendFile(data: unknown, options?: any): Promise<void> {
    sync.appendFileSync(this.fd, data, options);
  }
  async stat(): Promise<sync.Stats> {
    return sync.fstatSync(this.fd);
  }
  async chmod(mode: number | string): Promise<void> {
    sync.fchmodSync(this.fd, mode);
  }
  async truncate(len = 0): Promise<void> {
    sync.ftruncateSync(this.fd, len);
  }
  async sync(): Promise<void> {
    sync.fsyncSync(this.fd);
  }
  async datasync(): Promise<void> {
    sync.fsyncSync(this.fd);
  }
  async close(): Promise<void> {
    sync.closeSync(this.fd);
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

export const readFile = later((file: any, options?: any) =>
  file instanceof FileHandle ? sync.readFileSync(file.fd, options) : sync.readFileSync(file, options),
);
export const writeFile = later((file: any, data: unknown, options?: any) =>
  file instanceof FileHandle
    ? sync.writeFileSync(file.fd, data, options)
    : sync.writeFileSync(file, data, options),
);
export const appendFile = later(sync.appendFileSync);
export const stat = later(sync.statSync);
export const lstat = later(sync.lstatSync);
export const readdir = later(sync.readdirSync);
export const mkdir = later(sync.mkdirSync);
export const rename = later(sync.renameSync);
export const copyFile = later(sync.copyFileSync);
export const unlink = later(sync.unlinkSync);
export const rmdir = later(sync.rmdirSync);
export const rm = later(sync.rmSync);
export const realpath = later(sync.realpathSync);
export const readlink = later(sync.readlinkSync);
export const symlink = later(sync.symlinkSync);
export const access = later(sync.accessSync);
export const chmod = later(sync.chmodSync);
export const utimes = later(sync.utimesSync);
export const truncate = later(sync.truncateSync);
export const mkdtemp = later(sync.mkdtempSync);
export const open = later(
  (p: any, flags?: string | number, mode?: number) => new FileHandle(sync.openSync(p, flags, mode)),
);
export const constants = sync.constants;

const promises = {
  readFile,
  writeFile,
  appendFile,
  stat,
  lstat,
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
  utimes,
  truncate,
  mkdtemp,
  open,
  constants,
  FileHandle,
};
export default promises;
