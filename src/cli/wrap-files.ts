import { accessSync, constants, readFileSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { WardenError, errorMessage } from '../errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

/** Suffix of the backup written next to a config before each change. */
export const BACKUP_SUFFIX = '.mcp-warden.bak';

/** Read a client config; every failure is one config error (exit 2) saying how to fix it. */
export function readConfig(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw fsError(`cannot read ${file}`, error, {
      ENOENT: 'give an existing client config with --config FILE',
      EISDIR: 'give the config file, not its folder',
      EACCES: `make it readable (chmod u+r '${file}') or run as its owner`,
    });
  }
}

/**
 * Check, before anything is written, that `file` can be replaced: a read-only file (no write bit at all,
 * which root would otherwise overwrite silently) is refused unless `force`; the directory must take the
 * backup and the temporary file of the atomic replace.
 */
export function checkWritable(file: string, force: boolean): void {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (error) {
    throw fsError(`cannot read ${file}`, error, {});
  }
  if ((mode & 0o222) === 0 && !force) {
    throw new WardenError(
      'config',
      `${file} is read-only (mode ${(mode & 0o777).toString(8)}): not changed`,
      {
        hint: `if you mean to change it anyway, add --force (its mode is kept), or chmod u+w '${file}' first`,
      },
    );
  }
  const dir = path.dirname(file);
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw fsError(`cannot write in ${dir} (the backup and the new file go there)`, error, {
      EACCES: `make the folder writable (chmod u+w '${dir}'), or run as its owner`,
      EROFS:
        'the folder is on a read-only file system: copy the config elsewhere, change it there and copy it back',
    });
  }
  if ((mode & 0o222) !== 0 && !force) {
    try {
      accessSync(file, constants.W_OK);
    } catch (error) {
      throw fsError(`cannot write ${file}`, error, {
        EACCES: `make it writable (chmod u+w '${file}') or run as its owner`,
      });
    }
  }
}

/**
 * Keep the current content at FILE.mcp-warden.bak (mode 0600: configs hold tokens; an older read-only
 * backup is replaced, not copied onto), then replace FILE atomically with `text`, keeping its mode.
 * Returns the backup's path.
 */
export function replaceWithBackup(file: string, previous: string, text: string): string {
  const backup = `${file}${BACKUP_SUFFIX}`;
  try {
    unlinkSync(backup);
  } catch {
    // None yet.
  }
  try {
    writeFileAtomic(backup, previous, { mode: 0o600 });
  } catch (error) {
    throw fsError(`cannot write the backup ${backup}`, error, {});
  }
  try {
    writeFileAtomic(file, text);
  } catch (error) {
    throw fsError(`cannot replace ${file} (its backup is at ${backup})`, error, {});
  }
  return backup;
}

const GENERIC_FIX: Record<string, string> = {
  ENOENT: 'check the path',
  EACCES: 'check the permissions of the file and its folder, or run as their owner',
  EPERM: 'the file or its folder is protected (immutable, or another user owns it)',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full: free some space and run again',
  EDQUOT: 'your disk quota is used up: free some space and run again',
};

/** A file-system failure as one config error (exit 2): what failed, the system's reason, and the fix. */
export function fsError(what: string, error: unknown, fixes: Readonly<Record<string, string>>): WardenError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const reason = errorMessage(error)
    .replace(/^[A-Z]+: /, '')
    .replace(/, \w+ '.*'$/, '');
  return new WardenError('config', `${what}: ${reason}`, {
    cause: error,
    hint: fixes[code] ?? GENERIC_FIX[code] ?? 'fix the cause above and run again',
  });
}
