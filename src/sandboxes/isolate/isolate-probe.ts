import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCached, writeCached } from '../../util/disk-cache.ts';
import type { Availability } from '../types.ts';

/** How long a successful probe is trusted for an unchanged addon (a system library could change). */
const PROBE_CACHE_MS = 24 * 60 * 60 * 1000;

const FIX =
  'reinstall mcp-warden with install scripts enabled for isolated-vm (it builds a native addon), on Node 22+';

/**
 * Can isolated-vm load here? Live: resolve it and load its native addon into this process. With
 * `cacheDir`, a success is remembered for a day, keyed by Node (and its ABI), the platform and every
 * addon file node-gyp-build could pick (path, inode, size, mtime), so a session start skips loading an
 * addon the warden itself never uses (the isolate host loads it; ~4 ms). A rebuilt or replaced addon is
 * another key, probed live; failures are never cached; doctor (no cacheDir) always loads it.
 */
export async function probeIsolatedVm(cacheDir?: string): Promise<Availability> {
  const identity = cacheDir === undefined ? undefined : addonIdentity();
  const key = identity === undefined ? undefined : probeCacheKey(identity);
  if (cacheDir !== undefined && key !== undefined) {
    const cached = readCached<Availability>(cacheDir, key, PROBE_CACHE_MS);
    if (cached?.available === true) return cached;
  }
  const result = await probeLive();
  if (result.available && cacheDir !== undefined && key !== undefined) writeCached(cacheDir, key, result);
  return result;
}

/** The disk-cache key of a probe of the addon files `identity` under this Node. */
export function probeCacheKey(identity: string): string {
  return [
    'isolate-probe-1',
    process.version,
    process.versions.modules,
    process.platform,
    process.arch,
    identity,
  ].join('\0');
}

async function probeLive(): Promise<Availability> {
  try {
    createRequire(import.meta.url).resolve('isolated-vm');
    await import('isolated-vm');
    return { available: true, version: '6' };
  } catch (error) {
    return {
      available: false,
      reason: `isolated-vm cannot load: ${(error as Error).message.split('\n')[0]}`,
      fix: FIX,
    };
  }
}

/**
 * isolated-vm's package.json and every native addon node-gyp-build may load for this platform (its own
 * build first, then the prebuilds), each with inode, size and mtime; undefined when there is none.
 */
export function addonIdentity(): string | undefined {
  let manifest: string;
  try {
    manifest = fileURLToPath(import.meta.resolve('isolated-vm/package.json'));
  } catch {
    return undefined;
  }
  const dir = path.dirname(manifest);
  const files = [manifest];
  for (const sub of ['build/Release', 'build/Debug', `prebuilds/${process.platform}-${process.arch}`]) {
    try {
      for (const name of readdirSync(path.join(dir, sub)).sort())
        if (name.endsWith('.node')) files.push(path.join(dir, sub, name));
    } catch {
      // No such directory.
    }
  }
  if (files.length === 1) return undefined;
  try {
    return files
      .map((file) => {
        const stat = statSync(file);
        return `${file}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      })
      .join('\n');
  } catch {
    return undefined;
  }
}
