import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildFailure, BuildResult } from 'esbuild';
import { WardenError, errorMessage } from '../../errors.ts';
import { hostPaths } from '../../util/host-paths.ts';
import type { Refusal } from './bundle-guard.ts';
import { BUNDLE_POLICY, type BundleScope } from './bundle-scope.ts';
import { readOwnFile, writeAtomic } from './cache-file.ts';

/** Bump when the bundling recipe changes in a way file stats cannot see. */
const RECIPE = 'isolate-bundle-6';

/** A bundled server: one ESM module with every import resolved, and where its V8 code cache lives. */
export interface Bundle {
  code: string;
  /** `code` as UTF-8 bytes (what the code cache is bound to). */
  bytes: Uint8Array;
  /** The bundle file in the cache (or undefined when caching failed). */
  file: string | undefined;
  /** Where the V8 code cache for this bundle is (or should be) stored. */
  codeCacheFile: string | undefined;
  /** True when the bundle came from the cache. */
  cached: boolean;
}

interface Manifest {
  recipe: string;
  /** The import rules the bundle was built under (BUNDLE_POLICY). */
  policy: string;
  /** Every bundled file (real path) with its mtime and size when bundled. */
  inputs: Record<string, [number, number]>;
}

/**
 * The cache key of an entry: its realpath, the code paths it may bundle from, the recipe and the import
 * rules (a bundle made under older rules, which may hold host files, is never found), the Node and
 * esbuild versions (built-in export lists, output).
 */
export function bundleKey(scope: Pick<BundleScope, 'entry' | 'code'>, esbuildVersion: string): string {
  const parts = [
    RECIPE,
    BUNDLE_POLICY,
    scope.entry,
    ...[...scope.code].sort(),
    process.version,
    esbuildVersion,
  ];
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
}

/**
 * True when the manifest was made by this recipe under these rules and every input is still the regular
 * file (not a symlink put in its place) with the mtime and size recorded at bundle time.
 */
export function inputsUnchanged(manifest: Manifest): boolean {
  if (manifest.recipe !== RECIPE || manifest.policy !== BUNDLE_POLICY) return false;
  for (const [file, [mtime, size]] of Object.entries(manifest.inputs)) {
    const stat = lstatSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile() || stat.mtimeMs !== mtime || stat.size !== size) return false;
  }
  return true;
}

/**
 * The bundle scope of `entry`: the entry and the server's code paths (the read-only paths the other
 * backends mount), each by real path; paths that do not exist are dropped.
 */
export function codeScope(entry: string, codePaths: readonly string[]): Pick<BundleScope, 'entry' | 'code'> {
  const real = (p: string): string | undefined => hostPaths.realpath(p);
  const code = [...new Set(codePaths.map(real).filter((p): p is string => p !== undefined))];
  return { entry: real(entry) ?? entry, code };
}

/**
 * The server at `entry` bundled for the isolate (guest shims in place of Node built-ins), from
 * `cacheDir/isolate/` when every input file is unchanged, else built with esbuild and stored there.
 * Only files inside `codePaths` (and the warden's shims) are bundled; any other import is refused with
 * WardenError('launch-failed') naming each refused import and its file, and nothing is cached then.
 */
export async function loadBundle(
  entry: string,
  cacheDir: string | undefined,
  codePaths: readonly string[],
): Promise<Bundle> {
  const dir = cacheDir === undefined ? undefined : path.join(cacheDir, 'isolate');
  const scope = codeScope(entry, codePaths);
  // The esbuild version is part of the key; reading its package.json is far cheaper than loading it.
  const esbuildVersion = readEsbuildVersion();
  const key = bundleKey(scope, esbuildVersion);
  const file = dir && path.join(dir, `${key}.mjs`);
  const manifestFile = dir && path.join(dir, `${key}.json`);
  const codeCacheFile = dir && path.join(dir, `${key}.v8cache`);
  if (file && manifestFile) {
    try {
      // Only files of ours (see readOwnFile): anything else is a miss, rebuilt and replaced.
      const manifest = JSON.parse(readOwnFile(manifestFile)?.toString('utf8') ?? 'null') as Manifest | null;
      const bytes = manifest && inputsUnchanged(manifest) ? readOwnFile(file) : undefined;
      if (bytes !== undefined)
        return { code: bytes.toString('utf8'), bytes, file, codeCacheFile, cached: true };
    } catch {
      // A miss.
    }
  }
  const { code, bytes, inputs } = await build(scope);
  if (dir && file && manifestFile) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeAtomic(file, bytes);
      writeAtomic(codeCacheFile as string, '');
      writeAtomic(
        manifestFile,
        JSON.stringify({ recipe: RECIPE, policy: BUNDLE_POLICY, inputs } satisfies Manifest),
      );
    } catch {
      // A read-only cache only costs speed.
    }
  }
  return { code, bytes, file, codeCacheFile, cached: false };
}

async function build(
  codeScope: Pick<BundleScope, 'entry' | 'code'>,
): Promise<{ code: string; bytes: Uint8Array; inputs: Manifest['inputs'] }> {
  const esbuild = await import('esbuild');
  const { wardenModuleDirs, wardenPlugin } = await import('./bundle-plugin.ts');
  const { guardPlugin } = await import('./bundle-guard.ts');
  const { entry } = codeScope;
  const scope = { ...codeScope, warden: wardenModuleDirs() };
  const run = (refusals: Refusal[], checkImports: boolean) =>
    esbuild.build({
      entryPoints: ['warden-entry'],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'esnext',
      metafile: true,
      logLevel: 'silent',
      legalComments: 'none',
      // No tsconfig.json is read (an `extends` could name any host file, and its options reach the
      // output): Node ignores them too when it runs TypeScript.
      tsconfigRaw: '{}',
      // Whitespace and syntax only (names kept for stack traces): a third less for V8 to parse at every start.
      minifyWhitespace: true,
      minifySyntax: true,
      // One module for the whole server: import.meta.url is the entry's, for every bundled file. No
      // import.meta is left: the host runs the bundle as a script (guest-script.ts), where it is a
      // syntax error; the object is what the module's import.meta held (nothing else was set).
      define: {
        'import.meta.url': JSON.stringify(pathToFileURL(entry).href),
        'import.meta.filename': JSON.stringify(entry),
        'import.meta.dirname': JSON.stringify(path.dirname(entry)),
        'import.meta': JSON.stringify({
          url: pathToFileURL(entry).href,
          filename: entry,
          dirname: path.dirname(entry),
        }),
      },
      plugins: [wardenPlugin(entry), guardPlugin(scope, refusals, checkImports)],
    });
  const refusals: Refusal[] = [];
  let result: BuildResult<{ metafile: true; write: false }>;
  try {
    result = await run(refusals, false);
  } catch (error) {
    if (refusals.length === 0) throw bundleError(entry, [], error);
    // Refused: once more with every import checked, to name the files that import what was refused.
    const named: Refusal[] = [];
    await run(named, true).catch(() => undefined);
    throw bundleError(entry, named.length > 0 ? named : refusals, error);
  }
  const inputs: Manifest['inputs'] = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    // Virtual modules (namespace:path) and esbuild's own for a define that is an object (<define:NAME>).
    if (/^[\w-]+:|^<define:/.test(input)) continue;
    const absolute = path.resolve(input);
    const stat = statSync(absolute);
    inputs[absolute] = [stat.mtimeMs, stat.size];
  }
  const output = result.outputFiles[0];
  if (output === undefined) throw new WardenError('launch-failed', `esbuild produced no output for ${entry}`);
  return { code: output.text, bytes: output.contents, inputs };
}

/** The start-up error for a failed build: the refused imports when there are any, else esbuild's errors. */
function bundleError(entry: string, refusals: readonly Refusal[], error: unknown): WardenError {
  if (refusals.length > 0) {
    const lines = refusals
      .slice(0, 8)
      .map(
        (r) =>
          `  "${r.specifier}" ${r.importer ? `imported by ${r.importer}` : '(matched by a glob import such as import(`./dir/${name}.json`))'}: ${r.reason}`,
      );
    if (refusals.length > 8) lines.push(`  ... and ${refusals.length - 8} more`);
    return new WardenError(
      'launch-failed',
      `the isolate profile refused to bundle ${entry}:\n${lines.join('\n')}`,
      {
        cause: error,
        hint: 'under --profile isolate a server may import only JavaScript, TypeScript and JSON files of its own package and its node_modules; run it with --profile bwrap or docker otherwise',
      },
    );
  }
  const messages = (error as Partial<BuildFailure>).errors ?? [];
  const lines = messages.slice(0, 5).map((m) => {
    const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : '';
    return `  ${where}${m.text}`;
  });
  return new WardenError(
    'launch-failed',
    `cannot bundle ${entry} for the isolate:\n${lines.length > 0 ? lines.join('\n') : `  ${errorMessage(error)}`}`,
    {
      cause: error,
      hint: 'check that the server starts with plain node; or run it with --profile bwrap or docker',
    },
  );
}

function readEsbuildVersion(): string {
  try {
    const pkg = new URL(import.meta.resolve('esbuild/package.json'));
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
