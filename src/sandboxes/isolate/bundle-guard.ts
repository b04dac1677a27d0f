import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { OnLoadArgs, OnLoadResult, OnResolveArgs, OnResolveResult, Plugin, PluginBuild } from 'esbuild';
import { hostPaths } from '../../util/host-paths.ts';
import { type BundleScope, attributeRefusal, loaderFor, outsideRefusal, placeOf } from './bundle-scope.ts';

/** One import the guard refused: what was imported, from where, and why. */
export interface Refusal {
  specifier: string;
  /** The importing file; undefined when esbuild loaded the file without a resolve step (a glob match). */
  importer: string | undefined;
  reason: string;
}

/** Marks the guard's own nested resolve calls, so they reach esbuild's resolver and not the guard again. */
const INNER = Symbol('mcp-warden bundle guard');

/**
 * esbuild plugin, registered after the warden's own (built-ins and shims resolve there first). Every
 * file esbuild loads is read here, by real path, only when it lies in the scope and its loader is code
 * or JSON: that alone keeps every other host file out of the bundle. With `checkImports`, every import
 * is also resolved here first and refused with the name of the importing file, and server code may not
 * import the warden's own modules; that costs a round trip to esbuild per import (about twice the cold
 * bundle time), so the caller runs it only to explain a refusal. Refusals are collected in `refusals`
 * (esbuild only sees an error) so the caller can name them all.
 */
export function guardPlugin(scope: BundleScope, refusals: Refusal[], checkImports: boolean): Plugin {
  const refuse = (specifier: string, importer: string | undefined, reason: string) => {
    refusals.push({ specifier, importer, reason });
    return { errors: [{ text: `mcp-warden refused "${specifier}": ${reason}` }] };
  };

  /** One import, resolved by esbuild's own resolver, admitted by where its real path lies. */
  const checkImport = async (
    build: PluginBuild,
    args: OnResolveArgs,
  ): Promise<OnResolveResult | undefined> => {
    if (args.pluginData === INNER) return undefined;
    const importer = args.namespace === 'file' ? args.importer : undefined;
    const badAttribute = attributeRefusal(args.with);
    if (badAttribute) return refuse(args.path, importer, badAttribute);
    const { kind, namespace, resolveDir } = args;
    const result = await build.resolve(args.path, {
      kind,
      importer: args.importer,
      namespace,
      resolveDir,
      with: args.with,
      pluginData: INNER,
    });
    // Unresolvable: esbuild reports it as it would without the guard (a require() in a try block is
    // only a warning); whatever it finds instead still goes through onLoad.
    if (result.errors.length > 0) return undefined;
    // data: URLs and the warden's virtual modules carry their content in the specifier.
    if (result.namespace !== 'file') return { path: result.path, namespace: result.namespace };
    if (result.external) return refuse(args.path, importer, 'external modules cannot be bundled');
    const real = hostPaths.realpath(result.path);
    if (real === undefined) return refuse(args.path, importer, `${result.path} does not resolve`);
    const place = placeOf(scope, real);
    // The warden's modules are reachable from the warden's modules and virtual entries only.
    const fromWarden =
      importer === undefined || placeOf(scope, hostPaths.realpath(importer) ?? importer) === 'warden';
    if (place === 'outside' || (place === 'warden' && !fromWarden))
      return refuse(args.path, importer, outsideRefusal(real, result.path));
    if (place === 'code' && kind !== 'require-resolve') {
      const loader = loaderFor(scope, real, args.with);
      if ('refusal' in loader) return refuse(args.path, importer, loader.refusal);
    }
    return { path: real, namespace: 'file', sideEffects: result.sideEffects, suffix: result.suffix };
  };

  /** Every file esbuild loads, including files it finds by itself (the matches of a glob import). */
  const load = (args: OnLoadArgs): OnLoadResult | undefined => {
    const real = hostPaths.realpath(args.path);
    if (real === undefined) return refuse(args.path, undefined, `${args.path} does not resolve`);
    const place = placeOf(scope, real);
    if (place === 'warden') return undefined; // the warden's own shims, with esbuild's loaders
    if (place === 'outside') return refuse(args.path, undefined, outsideRefusal(real, args.path));
    const loader = loaderFor(scope, real, args.with);
    if ('refusal' in loader) return refuse(args.path, undefined, loader.refusal);
    const contents = readRegularFile(real);
    if (typeof contents === 'string') return refuse(args.path, undefined, contents);
    return { contents, loader: loader.loader, resolveDir: path.dirname(real) };
  };

  return {
    name: 'mcp-warden-isolate-guard',
    setup(build) {
      if (checkImports) build.onResolve({ filter: /.*/ }, (args) => checkImport(build, args));
      build.onLoad({ filter: /.*/, namespace: 'file' }, load);
    },
  };
}

/**
 * The bytes of `file`, opened without following a final symlink and without blocking (a FIFO planted
 * in the package must not hang the host), or why not when it is not a regular file.
 */
function readRegularFile(file: string): Uint8Array | string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return `${file} cannot be opened: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
  }
  try {
    if (!fstatSync(fd).isFile()) return `${file} is not a regular file`;
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
