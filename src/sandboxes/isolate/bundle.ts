import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Bump when the bundling recipe changes in a way file stats cannot see. */
const RECIPE = 'isolate-bundle-2';

/** A bundled server: one ESM module with every import resolved, and where its V8 code cache lives. */
export interface Bundle {
  code: string;
  /** The bundle file in the cache (or undefined when caching failed). */
  file: string | undefined;
  /** Where the V8 code cache for this bundle is (or should be) stored. */
  codeCacheFile: string | undefined;
  /** True when the bundle came from the cache. */
  cached: boolean;
}

interface Manifest {
  recipe: string;
  /** Every bundled file with its mtime and size when bundled. */
  inputs: Record<string, [number, number]>;
}

/** The cache key of an entry: its realpath, the recipe, the Node version (built-in export lists). */
export function bundleKey(entry: string, esbuildVersion: string): string {
  return createHash('sha256')
    .update(`${RECIPE}\0${entry}\0${process.version}\0${esbuildVersion}`)
    .digest('hex')
    .slice(0, 32);
}

/** True when every input still has the mtime and size recorded at bundle time. */
export function inputsUnchanged(manifest: Manifest): boolean {
  if (manifest.recipe !== RECIPE) return false;
  for (const [file, [mtime, size]] of Object.entries(manifest.inputs)) {
    try {
      const stat = statSync(file);
      if (stat.mtimeMs !== mtime || stat.size !== size) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * The server at `entry` bundled for the isolate (guest shims in place of Node built-ins), from
 * `cacheDir/isolate/` when every input file is unchanged, else built with esbuild and stored there.
 * The key is cheap (the entry path); a hit is verified by the mtimes and sizes of all inputs.
 */
export async function loadBundle(entry: string, cacheDir: string | undefined): Promise<Bundle> {
  const dir = cacheDir === undefined ? undefined : path.join(cacheDir, 'isolate');
  // The esbuild version is part of the key; reading its package.json is far cheaper than loading it.
  const esbuildVersion = readEsbuildVersion();
  const key = bundleKey(entry, esbuildVersion);
  const file = dir && path.join(dir, `${key}.mjs`);
  const manifestFile = dir && path.join(dir, `${key}.json`);
  const codeCacheFile = dir && path.join(dir, `${key}.v8cache`);
  if (file && manifestFile) {
    try {
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
      if (inputsUnchanged(manifest))
        return { code: readFileSync(file, 'utf8'), file, codeCacheFile, cached: true };
    } catch {
      // A miss.
    }
  }
  const { code, inputs } = await build(entry);
  if (dir && file && manifestFile) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeAtomic(file, code);
      writeAtomic(codeCacheFile as string, '');
      writeAtomic(manifestFile, JSON.stringify({ recipe: RECIPE, inputs } satisfies Manifest));
    } catch {
      // A read-only cache only costs speed.
    }
  }
  return { code, file, codeCacheFile, cached: false };
}

async function build(entry: string): Promise<{ code: string; inputs: Manifest['inputs'] }> {
  const esbuild = await import('esbuild');
  const { wardenPlugin } = await import('./bundle-plugin.ts');
  const result = await esbuild.build({
    entryPoints: ['warden-entry'],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'esnext',
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
    // Whitespace and syntax only (names kept for stack traces): a third less for V8 to parse at every start.
    minifyWhitespace: true,
    minifySyntax: true,
    // One module for the whole server: import.meta.url is the entry's, for every bundled file.
    define: {
      'import.meta.url': JSON.stringify(pathToFileURL(entry).href),
      'import.meta.filename': JSON.stringify(entry),
      'import.meta.dirname': JSON.stringify(path.dirname(entry)),
    },
    plugins: [wardenPlugin(entry)],
  });
  const inputs: Manifest['inputs'] = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    if (input.includes(':')) continue; // virtual modules (namespace:path)
    const absolute = path.resolve(input);
    const stat = statSync(absolute);
    inputs[absolute] = [stat.mtimeMs, stat.size];
  }
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced no output for ${entry}`);
  return { code: output.text, inputs };
}

function readEsbuildVersion(): string {
  try {
    const pkg = new URL(import.meta.resolve('esbuild/package.json'));
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, file);
}

export { writeAtomic };
