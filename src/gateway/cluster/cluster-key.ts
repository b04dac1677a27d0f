import { readFileSync } from 'node:fs';
import { WardenError, errorMessage } from '../../errors.ts';

/** The shortest shared key accepted: an HMAC-SHA256 key of less than 32 bytes is weaker than the hash. */
export const MIN_KEY_BYTES = 32;

const HINT = `write one with: head -c 48 /dev/urandom | base64 > FILE (the same file on every replica)`;

/**
 * Read the key every replica shares from `file` (surrounding ASCII whitespace dropped, so a trailing
 * newline does not matter). Throws WardenError('config') when it cannot be read or is too short.
 */
export function readClusterKey(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (error) {
    throw new WardenError('config', `cluster.keyFile: cannot read ${file}: ${errorMessage(error)}`, {
      hint: HINT,
    });
  }
  let start = 0;
  let end = raw.length;
  while (start < end && isSpace(raw[start]!)) start++;
  while (end > start && isSpace(raw[end - 1]!)) end--;
  const key = raw.subarray(start, end);
  if (key.length < MIN_KEY_BYTES) {
    throw new WardenError(
      'config',
      `cluster.keyFile: ${file} holds ${key.length} bytes; the shared key needs at least ${MIN_KEY_BYTES}`,
      { hint: HINT },
    );
  }
  return Buffer.from(key);
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}
