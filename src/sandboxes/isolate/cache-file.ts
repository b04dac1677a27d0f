import { writeFileAtomic } from '../../util/atomic-write.ts';
import { readOwnFile as readOwnedFile } from '../../util/own-file.ts';

/**
 * The contents of `file` when it is one of ours: a regular file, owned by this user and writable by
 * nobody else (util/own-file.ts). Anything else, or a read error, is undefined (a cache miss): what
 * another user could have written is never fed to esbuild's consumer or to V8.
 */
export function readOwnFile(file: string): Buffer | undefined {
  const read = readOwnedFile(file, { forbiddenMode: 0o022, wantedMode: 'writable by its owner only' });
  return 'data' in read ? read.data : undefined;
}

/** Replace cache entry `file` with a private (0600) one, atomically; not fsynced (a lost entry is a miss). */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  writeFileAtomic(file, data, { keepMode: false, durable: false });
}
