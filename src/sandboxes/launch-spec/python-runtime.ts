import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { readCached, writeCached } from '../../util/disk-cache.ts';
import { runtimeLibraries } from './runtime-libraries.ts';

const PYTHON = /^(python|pypy)[0-9.]*$/;
const QUERY_TIMEOUT_MS = 10_000;

/** True when `executable` is a Python interpreter by name (python, python3, python3.12, pypy3...). */
export function isPython(executable: string): boolean {
  return PYTHON.test(path.basename(executable));
}

/**
 * Pure: the entries of an interpreter's `sys.path` worth mounting: absolute, existing (checked by
 * `exists`), deduplicated; the script directory entry ('') is left out (the server's own package is
 * mounted separately).
 */
export function usefulSysPath(entries: readonly string[], exists: (p: string) => boolean): string[] {
  return [...new Set(entries.filter((entry) => entry.startsWith('/') && exists(entry)))];
}

/**
 * What a Python interpreter needs besides its binary and the libraries it links: its `sys.path`
 * (standard library, lib-dynload, site-packages) and the libraries its extension modules in
 * lib-dynload link (ssl, ffi, sqlite...). Asked of the interpreter itself in isolated mode (`-I`:
 * no PYTHONPATH, no user site, as the sandboxed server will run), cached per binary on disk.
 */
export async function pythonRuntimePaths(executable: string, cacheDir?: string): Promise<string[]> {
  const real = realpathSync(executable);
  const stat = statSync(real);
  const key = `python-runtime\0${real}\0${stat.mtimeMs}\0${stat.size}`;
  const cached = cacheDir === undefined ? undefined : readCached<string[]>(cacheDir, key);
  if (cached !== undefined && cached.every((file) => existsSync(file))) return cached;
  const { execa } = await import('execa');
  const result = await execa(real, ['-I', '-c', 'import json, sys; print(json.dumps(sys.path))'], {
    reject: false,
    timeout: QUERY_TIMEOUT_MS,
    env: {},
    extendEnv: false,
    stdin: 'ignore',
  });
  const entries = parseSysPath(result.stdout);
  const paths = new Set(usefulSysPath(entries, existsSync));
  for (const dir of [...paths].filter((entry) => path.basename(entry) === 'lib-dynload')) {
    for (const name of safeList(dir).filter((file) => file.endsWith('.so'))) {
      for (const library of await runtimeLibraries(path.join(dir, name), cacheDir)) paths.add(library);
    }
  }
  const list = [...paths];
  if (cacheDir !== undefined) writeCached(cacheDir, key, list);
  return list;
}

/** The interpreter's answer; a non-CPython-like one yields nothing (only its binary and libraries get mounted). */
function parseSysPath(stdout: string): string[] {
  try {
    const value: unknown = JSON.parse(stdout);
    return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
  } catch {
    return [];
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
