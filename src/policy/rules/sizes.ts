import { walkStrings } from '../paths/walk.ts';
import { reject } from './shared.ts';
import type { Rejection } from './shared.ts';

/** No string (value or key) anywhere in params may exceed `limit` UTF-8 bytes. */
export function checkArgumentSizes(params: unknown, limit: number): Rejection | undefined {
  for (const site of walkStrings(params, false)) {
    const { value } = site;
    if (value.length * 3 <= limit) continue; // cannot exceed: at most 3 UTF-8 bytes per UTF-16 unit
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > limit) {
      return reject('deny', 'size.argument', `${site.where()} is ${bytes} bytes (limit ${limit})`);
    }
  }
  return undefined;
}
