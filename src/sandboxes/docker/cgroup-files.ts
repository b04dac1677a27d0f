import { closeSync, openSync, readSync } from 'node:fs';

// Every cgroup file the watch reads is a few lines long (pids.events, memory.oom_control, memory.events).
const READ_BYTES = 1024;

/**
 * Cgroup control files kept open and re-read in place. A cgroup file is generated at each read from
 * offset 0, so one pread(2) into a reused buffer gives its current text: a poll costs one system call per
 * file instead of open, read until EOF and close, and allocates no buffer. Once the cgroup is removed,
 * reads of its open files fail (ENODEV) and give ''. A file that cannot be opened (absent on this
 * kernel, or the cgroup already gone) also gives ''; its open is not retried.
 */
export class CgroupFiles {
  readonly #fds = new Map<string, number | undefined>();
  readonly #buffer = Buffer.allocUnsafe(READ_BYTES);
  #closed = false;

  /** The file's current text, or '' when it cannot be read (see the class). */
  read(file: string): string {
    if (this.#closed) return '';
    let fd = this.#fds.get(file);
    if (!this.#fds.has(file)) {
      fd = openOrUndefined(file);
      this.#fds.set(file, fd);
    }
    if (fd === undefined) return '';
    try {
      const length = readSync(fd, this.#buffer, 0, READ_BYTES, 0);
      return this.#buffer.toString('latin1', 0, length);
    } catch {
      return '';
    }
  }

  /** Close every file; later reads give ''. */
  close(): void {
    this.#closed = true;
    for (const fd of this.#fds.values()) {
      if (fd !== undefined) closeSync(fd);
    }
    this.#fds.clear();
  }
}

function openOrUndefined(file: string): number | undefined {
  try {
    return openSync(file, 'r');
  } catch {
    return undefined;
  }
}
