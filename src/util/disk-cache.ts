import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import { fastHashHex } from './fast-hash.ts';

/**
 * A tiny JSON cache in the warden's cache directory, for facts that are slow to compute and cheap to
 * re-check (shared-library lists, backend probes). Failures are never fatal: a read that fails is a
 * miss, a write that fails is skipped. Entries older than `maxAgeMs` are misses.
 */
export function readCached<T>(dir: string, key: string, maxAgeMs = Number.POSITIVE_INFINITY): T | undefined {
  try {
    const entry = JSON.parse(readFileSync(entryPath(dir, key), 'utf8')) as {
      key: string;
      at: number;
      value: T;
    };
    if (entry.key !== key || Date.now() - entry.at > maxAgeMs) return undefined;
    return entry.value;
  } catch {
    return undefined;
  }
}

export function writeCached(dir: string, key: string, value: unknown): void {
  try {
    const file = entryPath(dir, key);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // A concurrent reader sees the old entry or the new one, never half of one; not fsynced, a lost
    // entry is only recomputed.
    writeFileAtomic(file, JSON.stringify({ key, at: Date.now(), value }), {
      keepMode: false,
      durable: false,
    });
  } catch {
    // A read-only or full cache directory only costs speed.
  }
}

/** The entry's file: named by a fast hash, since each entry stores its full key and reads compare it. */
function entryPath(dir: string, key: string): string {
  return path.join(dir, 'facts', `${fastHashHex(key)}.json`);
}
