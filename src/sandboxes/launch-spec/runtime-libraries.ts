import { existsSync, realpathSync, statSync } from 'node:fs';
import { readCached, writeCached } from '../../util/disk-cache.ts';
import { findOnPath } from '../process/find-on-path.ts';

const LDD_TIMEOUT_MS = 10_000;

/**
 * Pure: the absolute library paths in `ldd` output: "libc.so.6 => /lib/x/libc.so.6 (0x...)" and the
 * loader line "/lib64/ld-linux-x86-64.so.2 (0x...)". vDSO lines, "not found" entries and
 * "statically linked" yield nothing.
 */
export function parseLddOutput(text: string): string[] {
  const paths: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const arrow = /=>\s*(\/\S+)/.exec(line);
    const loader = /^(\/\S+)\s+\(0x[0-9a-f]+\)$/i.exec(line);
    const found = arrow?.[1] ?? loader?.[1];
    if (found !== undefined && !paths.includes(found)) paths.push(found);
  }
  return paths;
}

const cache = new Map<string, Promise<string[]>>();

/**
 * The files an executable needs to start: itself and its shared libraries, each as ldd printed it and
 * as its realpath (symlinked sonames such as /lib64/ld-linux-x86-64.so.2 must exist at both names).
 * Cached per (realpath, mtime, size): in memory, and in `cacheDir` when given, so a warden start does
 * not pay for running ldd (a library list whose files no longer all exist is recomputed). Statically
 * linked binaries, or hosts without ldd, yield just the binary.
 */
export async function runtimeLibraries(executable: string, cacheDir?: string): Promise<string[]> {
  const real = realpathSync(executable);
  const stat = statSync(real);
  const key = `ldd\0${real}\0${stat.mtimeMs}\0${stat.size}`;
  let result = cache.get(key);
  if (result === undefined) {
    const stored = cacheDir === undefined ? undefined : readCached<string[]>(cacheDir, key);
    if (stored !== undefined && stored.every((file) => existsSync(file))) {
      result = Promise.resolve(stored);
    } else {
      result = listLibraries(real).then((files) => {
        if (cacheDir !== undefined) writeCached(cacheDir, key, files);
        return files;
      });
    }
    cache.set(key, result);
  }
  return [...(await result)];
}

async function listLibraries(real: string): Promise<string[]> {
  const ldd = findOnPath('ldd', process.env.PATH);
  // Loaded only on a cache miss: execa costs tens of milliseconds of start-up.
  const { execa } = await import('execa');
  // ldd can run the program's loader on the file; it only inspects it and the file is ours to run anyway.
  const output =
    ldd === undefined
      ? ''
      : (await execa(ldd, [real], { reject: false, timeout: LDD_TIMEOUT_MS, stdin: 'ignore' })).stdout;
  const files = new Set<string>([real]);
  for (const library of parseLddOutput(output)) {
    files.add(library);
    try {
      files.add(realpathSync(library));
    } catch {
      // Listed but unreadable: the bind will fail loudly at launch, which is the right place.
    }
  }
  return [...files];
}
