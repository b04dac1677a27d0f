import path from 'node:path';
import type { Loader } from 'esbuild';

/**
 * What the host-side bundler may read, decided before esbuild runs. esbuild works with the warden's
 * rights and no sandbox around it, so every module it loads must be a file the guest could read at
 * run time anyway: the server's own code paths (its package and the node_modules it resolves from,
 * exactly the read-only paths the other backends mount), plus the warden's own guest shims.
 */
export interface BundleScope {
  /** The entry script (real path): loaded as JavaScript whatever its extension, like `node FILE`. */
  entry: string;
  /** Real paths of the server's code (directories or single files). */
  code: readonly string[];
  /** Real paths of the warden's own modules the shims import (never reachable from server code). */
  warden: readonly string[];
}

/** Bump when the rules below change: cached bundles built under other rules are never served. */
export const BUNDLE_POLICY = 'scope-1';

/** True when `file` is `dir` or lies below it, compared by path components (not string prefix). */
export function isWithin(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** Where a real path lies: the server's code, the warden's modules, or neither. */
export function placeOf(scope: BundleScope, real: string): 'code' | 'warden' | 'outside' {
  if (real === scope.entry || scope.code.some((dir) => isWithin(real, dir))) return 'code';
  if (scope.warden.some((dir) => isWithin(real, dir))) return 'warden';
  return 'outside';
}

/**
 * Loaders by extension: code and JSON only. Everything else (esbuild's defaults would turn .txt into a
 * string, .bin/.png into bytes or a data URL, any file into a copied asset) is refused.
 */
const LOADERS: Readonly<Record<string, Loader>> = {
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.json': 'json',
  // Node runs an extensionless file (a package's bin script) as JavaScript.
  '': 'js',
};

/**
 * Import attributes are refused except `{ type: 'json' }`: `text` and `bytes` turn any file into data
 * in the bundle. Returns why, or undefined when the attributes are acceptable.
 */
export function attributeRefusal(
  attributes: Readonly<Record<string, string>> | undefined,
): string | undefined {
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (key !== 'type')
      return `the import attribute "${key}" is not allowed under --profile isolate (only { type: 'json' })`;
    if (value !== 'json')
      return `importing with { type: '${value}' } is not allowed under --profile isolate: only JavaScript, TypeScript and JSON (with { type: 'json' }) can be bundled`;
  }
  return undefined;
}

/** The loader for a real path in scope, or why it may not be loaded. */
export function loaderFor(
  scope: BundleScope,
  real: string,
  attributes: Readonly<Record<string, string>> | undefined,
): { loader: Loader } | { refusal: string } {
  const refusal = attributeRefusal(attributes);
  if (refusal) return { refusal };
  if (attributes?.type === 'json') return { loader: 'json' };
  if (real === scope.entry) return { loader: LOADERS[path.extname(real)] ?? 'js' };
  const loader = LOADERS[path.extname(real)];
  if (loader === undefined)
    return {
      refusal: `${path.basename(real)} is not JavaScript, TypeScript or JSON: under --profile isolate only code and JSON can be bundled`,
    };
  return { loader };
}

/** Why a resolved file lies outside the server's code, for the refusal message. */
export function outsideRefusal(real: string, resolved: string): string {
  const via = real === resolved ? '' : ` (through a symlink: ${resolved})`;
  return `it resolves to ${real}${via}, outside the server's package and its node_modules`;
}
