import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { homeDir } from '../../util/home-dir.ts';

/**
 * Pure: the directories Node searches for packages when resolving from a file in `dir`: every
 * ancestor's node_modules, skipping ancestors that are themselves node_modules directories (Node's
 * own rule), nearest first.
 */
export function nodeModulesChain(dir: string): string[] {
  const chain: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    if (path.basename(current) !== 'node_modules') chain.push(path.join(current, 'node_modules'));
    if (path.dirname(current) === current) return chain;
  }
}

/**
 * The host paths a script needs read-only: its package root (the nearest ancestor whose package.json
 * has a "name"; a nameless one such as dist/package.json {"type":"module"} only marks a module
 * format), or its directory if there is none, plus every existing node_modules on the resolution path
 * (hoisted dependencies live there). Each path also as its realpath. `script` must be an absolute,
 * real path to an existing file.
 */
export function serverCodePaths(script: string, home: string = homeDir()): string[] {
  const dir = path.dirname(script);
  const root = findPackageRoot(dir) ?? dir;
  // A stray package.json in $HOME (or a script lying directly in it) must not expose the whole home
  // directory, ~/.ssh included: mount only the script itself then.
  const paths = new Set<string>([isTooBroad(root, home) ? script : root]);
  for (const modules of nodeModulesChain(dir)) {
    if (isDirectory(modules)) paths.add(modules);
  }
  for (const found of [...paths]) paths.add(realpathSync(found));
  return [...paths];
}

/** `/`, the home directory and its ancestors are never mounted as a server's code. */
export function isTooBroad(dir: string, home: string): boolean {
  return dir === '/' || dir === home || home.startsWith(`${dir}/`);
}

function findPackageRoot(dir: string): string | undefined {
  let nearest: string | undefined;
  for (let current = dir; ; current = path.dirname(current)) {
    const manifest = path.join(current, 'package.json');
    if (existsSync(manifest)) {
      nearest ??= current;
      if (hasName(manifest)) return current;
    }
    if (path.dirname(current) === current) return nearest;
  }
}

function hasName(manifest: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
    return typeof (parsed as { name?: unknown } | null)?.name === 'string';
  } catch {
    return false;
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
