import { constants } from 'node:fs';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC } = constants;
/** Linux's __O_TMPFILE (O_TMPFILE without O_DIRECTORY): creates a file; Node does not export it. */
const O_TMPFILE_BIT = 0o20000000;

/**
 * Every flag that makes an open change the filesystem: write access, creating, truncating, appending,
 * an unnamed temporary file. Any one of them is a write (EROFS in a read-only place), whatever the
 * access mode says: O_RDONLY|O_TRUNC truncates and O_RDONLY|O_CREAT creates.
 */
const WRITE_BITS = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_TMPFILE_BIT;

/** Node's string flags (lib/internal/fs/utils.js stringToFlags), as numbers. */
const STRING_FLAGS: Readonly<Record<string, number>> = {
  r: O_RDONLY,
  rs: O_RDONLY | O_SYNC,
  sr: O_RDONLY | O_SYNC,
  'r+': O_RDWR,
  'rs+': O_RDWR | O_SYNC,
  'sr+': O_RDWR | O_SYNC,
  w: O_TRUNC | O_CREAT | O_WRONLY,
  wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  'w+': O_TRUNC | O_CREAT | O_RDWR,
  'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  'xw+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY,
  ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  sa: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  'a+': O_APPEND | O_CREAT | O_RDWR,
  'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'xa+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'as+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
  'sa+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
};

/**
 * The numeric open flags for a guest's `flags` argument (a Node flag string or a number), so that one
 * rule classifies both spellings. Throws EINVAL for anything else.
 */
export function openFlags(flags: unknown): number {
  if (typeof flags === 'number' && Number.isInteger(flags) && flags >= 0 && flags <= 0x7fffffff) return flags;
  if (typeof flags === 'string' && Object.hasOwn(STRING_FLAGS, flags)) return STRING_FLAGS[flags] as number;
  throw Object.assign(new TypeError(`Invalid open flags: ${String(flags)}`), {
    code: 'ERR_INVALID_ARG_VALUE',
  });
}

/** True when an open with `flags` (numeric) may change the filesystem. */
export function isWriteOpen(flags: number): boolean {
  return (flags & WRITE_BITS) !== 0;
}

/** True when an open with `flags` may create a file, so that its mode argument matters. */
export function createsFile(flags: number): boolean {
  return (flags & (O_CREAT | O_TMPFILE_BIT)) !== 0;
}
