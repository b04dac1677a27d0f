import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Which manifests make a directory a package, by the language of the server's script. */
export type CodeLanguage = 'node' | 'python';

/** Files that make a directory a Python project (its package root). */
const PYTHON_MANIFESTS = ['pyproject.toml', 'setup.py', 'setup.cfg'];
/** Every manifest name: a directory inside a package that holds one is another package. */
export const MANIFESTS: ReadonlySet<string> = new Set(['package.json', ...PYTHON_MANIFESTS]);

/**
 * Keys a package.json may have and still only mark a module format (e.g. dist/package.json
 * {"type":"module"} in a dual build): such a file does not make its directory a package.
 */
const MARKER_KEYS = new Set([
  'type',
  'sideEffects',
  'imports',
  'exports',
  'main',
  'module',
  'types',
  'typings',
  'browser',
]);

/** Files that make a directory the root of a workspace (a monorepo), whatever else it holds. */
const WORKSPACE_FILES = ['pnpm-workspace.yaml', 'lerna.json', 'rush.json'];

/** Where a script's code lives: its own package directory, or nowhere (a lone script). */
export type CodeHome =
  { kind: 'package'; dir: string; manifest: string | undefined; why: string } | { kind: 'lone'; why: string };

/**
 * The package a script belongs to: the nearest ancestor with a manifest (package.json, or for Python
 * pyproject.toml/setup.py/setup.cfg). For Node, a package.json that only marks a module format is
 * skipped (the named package above it is the package) unless the search stops before one is found,
 * in which case the marker's directory is the package. The search stops, without taking it, at a
 * workspace root (a monorepo is never one server's package) and at a directory that is too broad
 * (see isTooBroad). `scriptDir` must be a real, absolute path.
 */
export function findCodeHome(scriptDir: string, language: CodeLanguage, home: string): CodeHome {
  let marker: string | undefined;
  for (let current = scriptDir; ; current = path.dirname(current)) {
    const broad = tooBroadReason(current, home);
    if (broad !== undefined) return stop(marker, `the search stopped at ${current}, ${broad}`);
    if (language === 'node' && isWorkspaceRoot(current)) {
      return stop(marker, `the search stopped at ${current}, a workspace root (never one server's package)`);
    }
    const manifest = manifestOf(current, language);
    if (manifest !== undefined) {
      if (language === 'node' && isModuleMarker(readJson(manifest))) marker ??= current;
      else return { kind: 'package', dir: current, manifest, why: `server package (${manifest})` };
    }
    if (path.dirname(current) === current) return stop(marker, 'no package manifest above it');
  }
}

function stop(marker: string | undefined, why: string): CodeHome {
  return marker === undefined
    ? { kind: 'lone', why }
    : {
        kind: 'package',
        dir: marker,
        manifest: path.join(marker, 'package.json'),
        why: `server package (${path.join(marker, 'package.json')}, the nearest package.json)`,
      };
}

/**
 * Why `dir` can never be a server's package, or undefined: the filesystem root, the home directory or
 * one of its ancestors (a stray ~/package.json must not expose ~/.ssh), or a directory other users may
 * write into (sticky or world-writable, like /tmp: anyone could plant a package.json there).
 */
export function tooBroadReason(dir: string, home: string): string | undefined {
  if (dir === '/') return 'the filesystem root';
  if (dir === home || home.startsWith(`${dir}/`)) return 'the home directory or one of its ancestors';
  try {
    const mode = statSync(dir).mode;
    if ((mode & 0o1000) !== 0 || (mode & 0o002) !== 0) return 'a shared directory (world-writable or sticky)';
  } catch {
    return 'unreadable';
  }
  return undefined;
}

/** `/`, the home directory and its ancestors, and shared directories are never mounted as a server's code. */
export function isTooBroad(dir: string, home: string): boolean {
  return tooBroadReason(dir, home) !== undefined;
}

/** Pure: a parsed package.json that has no name and only module-format keys. */
export function isModuleMarker(json: unknown): boolean {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return false;
  return Object.keys(json).every((key) => MARKER_KEYS.has(key));
}

/** A monorepo root: package.json with "workspaces", or a pnpm/lerna/rush workspace file. */
export function isWorkspaceRoot(dir: string): boolean {
  if (WORKSPACE_FILES.some((name) => existsSync(path.join(dir, name)))) return true;
  const json = readJson(path.join(dir, 'package.json'));
  return json !== null && typeof json === 'object' && 'workspaces' in json;
}

function manifestOf(dir: string, language: CodeLanguage): string | undefined {
  const names = language === 'node' ? ['package.json'] : PYTHON_MANIFESTS;
  for (const name of names) {
    const file = path.join(dir, name);
    if (isFile(file)) return file;
  }
  return undefined;
}

/** A package.json's content; undefined when missing, null-like junk when unparsable (never a marker). */
export function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
