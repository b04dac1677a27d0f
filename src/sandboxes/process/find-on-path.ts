import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Look `name` up like execvp does: a name containing `/` is taken as a path (relative to
 * `process.cwd()`), otherwise each entry of `pathVar` (colon-separated; empty entries are skipped,
 * not treated as ".") is tried. Returns the absolute path of the first regular, executable file,
 * or undefined when there is none. Symlinks are not resolved.
 */
export function findOnPath(name: string, pathVar: string | undefined): string | undefined {
  if (name.length === 0) return undefined;
  if (name.includes('/')) {
    const candidate = path.resolve(name);
    return isExecutableFile(candidate) ? candidate : undefined;
  }
  for (const dir of (pathVar ?? '').split(':')) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let setprivPath: string | null | undefined;

/**
 * setpriv (util-linux) from the warden's PATH, looked up once per process; undefined when missing.
 * Both backends start their process through `setpriv --pdeathsig KILL` when it exists.
 */
export function findSetpriv(): string | undefined {
  setprivPath ??= findOnPath('setpriv', process.env.PATH) ?? null;
  return setprivPath ?? undefined;
}
