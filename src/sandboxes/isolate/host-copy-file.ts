import fs from 'node:fs';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NONBLOCK, COPYFILE_EXCL } = fs.constants;
const CHUNK = 1 << 20;

/**
 * fs.copyFile without what libuv's copyfile also copies: the source's setuid, setgid and sticky bits
 * (it fchmods the destination to the source's full mode, so copying a setuid-root binary with the
 * warden's rights made another one). The destination gets the source's permission bits only, set on
 * its descriptor before a byte is written, so at no moment does it carry special bits — an existing
 * destination that had them included. O_NONBLOCK: a FIFO at either end must not hang the host.
 * `mode` is fs.copyFile's: COPYFILE_EXCL is honoured; cloning is not attempted (a plain copy).
 */
export function copyFileWithoutSpecialBits(source: string, target: string, mode: number): void {
  const input = fs.openSync(source, O_RDONLY | O_NONBLOCK);
  try {
    const from = fs.fstatSync(input);
    if (from.isDirectory()) {
      throw Object.assign(new Error(`EISDIR: illegal operation on a directory, copyfile '${source}'`), {
        code: 'EISDIR',
        errno: -21,
        syscall: 'copyfile',
        path: source,
      });
    }
    const permissions = from.mode & 0o777;
    const exclusive = (mode & COPYFILE_EXCL) !== 0 ? O_EXCL : 0;
    const output = fs.openSync(target, O_WRONLY | O_CREAT | O_NONBLOCK | exclusive, permissions);
    try {
      const to = fs.fstatSync(output);
      // Copying a file onto itself: truncating would destroy it (libuv returns early too).
      if (to.dev === from.dev && to.ino === from.ino) return;
      fs.fchmodSync(output, permissions);
      fs.ftruncateSync(output, 0);
      const buffer = Buffer.allocUnsafe(CHUNK);
      for (
        let n = fs.readSync(input, buffer, 0, CHUNK, null);
        n > 0;
        n = fs.readSync(input, buffer, 0, CHUNK, null)
      ) {
        for (let offset = 0; offset < n;) offset += fs.writeSync(output, buffer, offset, n - offset);
      }
    } finally {
      fs.closeSync(output);
    }
  } finally {
    fs.closeSync(input);
  }
}
