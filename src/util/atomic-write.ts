import {
  closeSync,
  constants,
  fsyncSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** Permission bits of a new file; default 0600. */
  mode?: number;
  /** Keep the permission bits of the file replaced, if any (default); false: always `mode`. */
  keepMode?: boolean;
  /**
   * fsync the new contents before the rename (default), so that after a crash of the machine the file
   * holds the old contents or the new ones. false for caches, where a lost entry only costs a rebuild.
   */
  durable?: boolean;
}

// Temporary names are unique within this process; across processes, the pid tells them apart.
let sequence = 0;

/**
 * Replace `file` with `data` atomically: write a new temporary file in the same directory (O_EXCL and
 * O_NOFOLLOW: never through a link planted at its name), then rename it over the target, so a reader
 * sees the old file or the new one, never half of one. See AtomicWriteOptions for the mode and fsync.
 * Throws on failure, with the temporary file removed.
 */
export function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const { mode = 0o600, keepMode = true, durable = true } = options;
  let fileMode = mode;
  if (keepMode) {
    try {
      fileMode = statSync(file).mode & 0o7777;
    } catch {
      // A new file.
    }
  }
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${sequence++}.tmp`);
  const fd = openTemp(temp, fileMode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done);
    if (durable) fsyncSync(fd);
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

/** A new file at `temp`; one left there by a crashed process with this pid is removed first. */
function openTemp(temp: string, mode: number): number {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  try {
    return openSync(temp, flags, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    unlinkSync(temp); // unlink never follows a link: only the name goes
    return openSync(temp, flags, mode);
  }
}
