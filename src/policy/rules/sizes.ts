import { describeSite, walkStrings } from '../paths/walk.ts';
import { reject } from './shared.ts';
import type { Rejection } from './shared.ts';

/** No string (value or key) anywhere in params may exceed `limit` UTF-8 bytes. */
export function checkArgumentSizes(params: unknown, limit: number): Rejection | undefined {
  return walkStrings(params, false, (value, isKey, _argument, at) => {
    if (value.length * 3 <= limit) return undefined; // cannot exceed: at most 3 UTF-8 bytes per UTF-16 unit
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes <= limit) return undefined;
    return reject('deny', 'size.argument', `${describeSite(at, isKey)} is ${bytes} bytes (limit ${limit})`);
  });
}
