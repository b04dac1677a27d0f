import { isDeepStrictEqual } from 'node:util';
import { isRecord } from '../util/is-record.ts';
import type { EntryShape } from './client-formats.ts';
import { WRAP_KEY } from './config-document.ts';
import { launchKeys, readEntry } from './server-shape.ts';

/**
 * What unwrapping would lose: the changes made to a wrapped entry after `wrap` wrote it, found by
 * comparing it with the original it keeps. The warden's own options (before `--`) are not counted: they
 * go with the warden. Empty when restoring the original loses nothing. Pure.
 */
export function editsSinceWrap(current: unknown, original: unknown, shape: EntryShape): string[] {
  if (!isRecord(current) || !isRecord(original)) {
    return isDeepStrictEqual(current, original) ? [] : ['the whole entry'];
  }
  const lost: string[] = [];
  const skip = new Set([WRAP_KEY, ...launchKeys(original, shape), ...launchKeys(current, shape)]);
  compareKeys(current, original, skip, '', lost);
  if (shape === 'zed' && isRecord(current.command) && isRecord(original.command)) {
    compareKeys(current.command, original.command, new Set(['path', 'args']), 'command.', lost);
  }
  const now = readEntry(current, shape);
  const before = readEntry(original, shape);
  if (now.kind !== 'stdio' || before.kind !== 'stdio') {
    if (now.kind !== before.kind) lost.push('the command (it no longer starts the warden)');
    return lost;
  }
  const split = now.launch.args.indexOf('--');
  if (split < 0) {
    lost.push('the command and args (the warden is no longer in them)');
  } else {
    const server = now.launch.args.slice(split + 1);
    if (!isDeepStrictEqual(server, [before.launch.command, ...before.launch.args])) {
      // Values are not shown: arguments can hold credentials.
      lost.push('the server command or its arguments after "--"');
    }
  }
  return lost;
}

function compareKeys(
  current: Record<string, unknown>,
  original: Record<string, unknown>,
  skip: ReadonlySet<string>,
  prefix: string,
  lost: string[],
): void {
  const keys = new Set([...Object.keys(original), ...Object.keys(current)]);
  for (const key of keys) {
    if (skip.has(key)) continue;
    const a = current[key];
    const b = original[key];
    if (isDeepStrictEqual(a, b)) continue;
    if (!(key in original)) lost.push(`${prefix}${key} (added)`);
    else if (!(key in current)) lost.push(`${prefix}${key} (removed)`);
    else if (isRecord(a) && isRecord(b)) compareKeys(a, b, new Set(), `${prefix}${key}.`, lost);
    else lost.push(`${prefix}${key} (changed)`);
  }
}
