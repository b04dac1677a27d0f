import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Replace `file` with `text` atomically: write a temporary file in the same directory, fsync it, then
 * rename it over the target, so a crash leaves either the old or the new file, never half of one.
 * The file's permission bits are kept (a new file gets `mode`, default 0600).
 */
export function writeFileAtomic(file: string, text: string, mode = 0o600): void {
  let keepMode = mode;
  try {
    keepMode = statSync(file).mode & 0o7777;
  } catch {
    // A new file.
  }
  const temp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.getBuiltinModule('node:crypto').randomBytes(4).toString('hex')}.tmp`,
  );
  const fd = openSync(temp, 'wx', keepMode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, file);
  } catch (error) {
    unlinkSync(temp);
    throw error;
  }
}
