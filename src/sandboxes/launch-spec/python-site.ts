import { type Dirent, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** Directory entries examined when looking for extension modules, before giving up on the rest. */
export const MAX_SITE_ENTRIES = 200_000;

/**
 * Pure: the directories a `.pth` file adds to sys.path, as CPython's site module reads it: one path
 * per line, relative to the site directory; comments and blank lines skipped; lines starting with
 * `import` are code, which CPython executes and the warden never does (their effect is unknown and
 * left out).
 */
export function pthPathLines(text: string, siteDir: string): string[] {
  const paths: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line === '' || line.startsWith('#') || /^import[ \t]/.test(line)) continue;
    paths.push(path.resolve(siteDir, line));
  }
  return paths;
}

/**
 * The existing directories the `.pth` files of `siteDir` add to sys.path (editable installs, pipx's
 * shared libraries...), as real paths, in file-name order like CPython. Read, never executed.
 */
export function pthDirectories(siteDir: string): string[] {
  const found: string[] = [];
  let names: string[];
  try {
    names = readdirSync(siteDir).filter((name) => name.endsWith('.pth') && !name.startsWith('.'));
  } catch {
    return [];
  }
  for (const name of names.sort()) {
    let text: string;
    try {
      text = readFileSync(path.join(siteDir, name), 'utf8');
    } catch {
      continue;
    }
    for (const dir of pthPathLines(text, siteDir)) {
      try {
        if (statSync(dir).isDirectory()) found.push(realpathSync(dir));
      } catch {
        // CPython skips a missing path too.
      }
    }
  }
  return [...new Set(found)];
}

/** Pure: is this file name a native extension module or a library a package loads itself (ctypes)? */
export function isSharedObject(name: string): boolean {
  return /\.so$/.test(name);
}

/**
 * Every shared object (`*.so`: extension modules, ctypes libraries) below `dirs`, without following
 * directory links (a link cannot lead the scan out of the package tree). At most MAX_SITE_ENTRIES
 * entries are examined; `truncated` says the scan stopped early.
 */
export function findSharedObjects(dirs: readonly string[]): { files: string[]; truncated: boolean } {
  const files: string[] = [];
  let budget = MAX_SITE_ENTRIES;
  const stack = [...dirs].reverse();
  while (stack.length > 0 && budget > 0) {
    const dir = stack.pop() as string;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (--budget <= 0) break;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else if ((entry.isFile() || entry.isSymbolicLink()) && isSharedObject(entry.name)) files.push(full);
    }
  }
  return { files, truncated: budget <= 0 };
}
