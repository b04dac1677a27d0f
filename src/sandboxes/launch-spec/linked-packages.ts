import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { MountList } from './code-mounts.ts';
import { mountPackageFiles } from './package-files.ts';
import { isTooBroad, isWorkspaceRoot, readJson } from './package-root.ts';
import { nodeModulesChain } from './node-modules-chain.ts';

/** Dependency fields whose packages Node may load at run time (devDependencies are not). */
const RUNTIME_DEPENDENCIES = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;
/** Linked packages followed at most (a workspace's size, not a registry's). */
const MAX_LINKED = 200;

/**
 * Mount the workspace packages the server depends on through links in node_modules (npm/yarn/pnpm
 * workspaces and `file:` dependencies link them there): for each runtime dependency of the package
 * at `pkgDir` (transitively through the linked ones), resolved the way Node would from that package,
 * whose realpath lies outside everything already mounted, the target package's files (dotfiles and
 * nested packages left out) and its own node_modules chain. A link is followed only to a package
 * directory (with a package.json) inside the server's workspace root or the server package itself:
 * node_modules is the untrusted server's own content, and a link it ships must not choose host
 * directories to mount. Others are reported as left out. `home` bounds the workspace search.
 */
export function mountLinkedPackages(pkgDir: string, mounts: MountList, home: string): void {
  const boundary = workspaceRoot(pkgDir, home) ?? pkgDir;
  const visited = new Set<string>([pkgDir]);
  const queue = [pkgDir];
  while (queue.length > 0 && visited.size <= MAX_LINKED) {
    const dir = queue.shift() as string;
    const manifest = readJson(path.join(dir, 'package.json'));
    const dependent = packageName(manifest) ?? dir;
    for (const name of dependencyNames(manifest)) {
      const entry = findInstalled(dir, name);
      if (entry === undefined) continue;
      const real = safeRealpath(entry);
      if (real === undefined || mounts.covers(real) || visited.has(real)) continue;
      const refusal = linkRefusal(real, name, boundary, home);
      if (refusal !== undefined) {
        mounts.leaveOut(real, `${entry} links here: ${refusal}`);
        continue;
      }
      visited.add(real);
      mountPackageFiles(
        real,
        path.join(real, 'package.json'),
        mounts,
        `workspace package ${name}, a dependency of ${dependent} (linked from ${entry})`,
      );
      mountNodeModules(real, mounts, `module resolution for ${name}`);
      queue.push(real);
    }
  }
}

/**
 * Mount every existing node_modules Node searches from `dir` (nearest first). One that is a symlink is
 * mounted only when it leads to another directory named node_modules.
 */
export function mountNodeModules(dir: string, mounts: MountList, why: string): void {
  for (const modules of nodeModulesChain(dir)) {
    let stat;
    try {
      stat = lstatSync(modules);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) {
      const real = safeRealpath(modules);
      if (real === undefined || path.basename(real) !== 'node_modules') {
        mounts.leaveOut(modules, 'a node_modules link that does not lead to a node_modules directory');
        continue;
      }
      mounts.add(modules, `${why} (a link to ${real})`);
      mounts.add(real, `${why} (the real path of ${modules})`);
    } else if (stat.isDirectory()) mounts.add(modules, why);
  }
}

/** The nearest workspace root at or above `dir`, stopping at too-broad directories. */
function workspaceRoot(dir: string, home: string): string | undefined {
  for (let current = dir; !isTooBroad(current, home); current = path.dirname(current)) {
    if (isWorkspaceRoot(current)) return current;
    if (path.dirname(current) === current) return undefined;
  }
  return undefined;
}

function linkRefusal(real: string, name: string, boundary: string, home: string): string | undefined {
  if (real !== boundary && !real.startsWith(`${boundary}/`))
    return `outside the server's workspace ${boundary}; name it in the profile's readOnlyPaths if the server needs it`;
  if (isTooBroad(real, home)) return 'too broad a directory to mount';
  const manifest = readJson(path.join(real, 'package.json'));
  if (packageName(manifest) !== name) return `not the package ${name} (its package.json names another)`;
  return undefined;
}

/** Where Node finds package `name` from `dir`: the first node_modules on the chain that has it. */
function findInstalled(dir: string, name: string): string | undefined {
  for (const modules of nodeModulesChain(dir)) {
    const entry = path.join(modules, name);
    try {
      lstatSync(entry);
      return entry;
    } catch {
      // Not installed here; Node looks one level up.
    }
  }
  return undefined;
}

function dependencyNames(manifest: unknown): string[] {
  if (manifest === null || typeof manifest !== 'object') return [];
  const names = new Set<string>();
  for (const field of RUNTIME_DEPENDENCIES) {
    const deps = (manifest as Record<string, unknown>)[field];
    if (deps === null || typeof deps !== 'object') continue;
    // A name is one path component, or @scope/name: anything else would walk out of node_modules.
    for (const name of Object.keys(deps)) {
      const parts = name.split('/');
      const scoped = parts.length === 2 && parts[0]?.startsWith('@');
      if ((parts.length === 1 || scoped) && parts.every((part) => /^@?[\w~-][\w.~-]*$/.test(part)))
        names.add(name);
    }
  }
  return [...names];
}

function packageName(manifest: unknown): string | undefined {
  const name = (manifest as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

function safeRealpath(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}
