import { realpathSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
/** .ts when the warden runs from src/ (type stripping), .js from dist/. */
const EXT = path.extname(fileURLToPath(import.meta.url));
/** The guest-side shims, next to this file in src/ and in dist/. */
export const GUEST_DIR = path.join(here, 'guest');
const guest = (name: string): string => path.join(GUEST_DIR, `${name}${EXT}`);
const require = createRequire(import.meta.url);

/**
 * Real paths of the warden's own modules that the guest shims import: the shims themselves and the pure
 * JS `buffer` package with its dependencies. Server code may not import them (see bundle-guard.ts).
 */
export function wardenModuleDirs(): string[] {
  const buffer = path.dirname(require.resolve('buffer/package.json'));
  const fromBuffer = createRequire(path.join(buffer, 'package.json'));
  const dependencies = Object.keys(
    (require('buffer/package.json') as { dependencies?: Record<string, string> }).dependencies ?? {},
  ).map((name) => path.dirname(fromBuffer.resolve(`${name}/package.json`)));
  return [GUEST_DIR, buffer, ...dependencies].map((dir) => realpathSync.native(dir));
}

/** Built-ins with a working shim, by module name (without `node:`), and the guest file implementing each. */
export const SHIMMED: Readonly<Record<string, string>> = {
  buffer: 'buffer',
  crypto: 'crypto',
  events: 'events',
  fs: 'fs',
  'fs/promises': 'fs-promises',
  http: 'http',
  https: 'https',
  module: 'module',
  os: 'os',
  path: 'path',
  'path/posix': 'path',
  process: 'process',
  string_decoder: 'string-decoder',
  timers: 'timers',
  'timers/promises': 'timers-promises',
  url: 'url',
  util: 'util',
};

const BUILTINS = new Set(builtinModules);
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The module name of a Node built-in specifier (`node:fs`, `fs/promises`), or undefined. */
export function builtinName(specifier: string): string | undefined {
  const name = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  return BUILTINS.has(name) || specifier.startsWith('node:') ? name : undefined;
}

/** Source of the stand-in module for an unavailable built-in: every export the real one has, throwing. */
export function unavailableSource(name: string): string {
  let keys: string[] = [];
  try {
    keys = Object.keys(require(`node:${name}`) as object).filter(
      (key) => IDENTIFIER.test(key) && key !== 'default',
    );
  } catch {
    // A built-in that cannot load here still gets a default export.
  }
  const lines = [`import { unavailable, unavailableModule } from ${JSON.stringify(guest('unavailable'))};`];
  for (const key of keys)
    lines.push(`export const ${key} = unavailable(${JSON.stringify(name)}, ${JSON.stringify(key)});`);
  lines.push(`export default unavailableModule(${JSON.stringify(name)});`);
  return lines.join('\n');
}

/**
 * esbuild plugin: Node built-ins (bare and `node:`) resolve to the guest shims or to "unavailable"
 * stand-ins; native addons (.node) become stand-ins that throw when loaded; the entry is wrapped so
 * that the globals module runs before any server code.
 */
export function wardenPlugin(entry: string): Plugin {
  return {
    name: 'mcp-warden-isolate',
    setup(build) {
      // An ES module whatever the entry is: named after a .cjs entry, esbuild would take this module for
      // CommonJS and end the bundle with `export default`, a syntax error in the script the host runs
      // (guest-script.ts).
      build.onResolve({ filter: /^warden-entry$/ }, () => ({ path: 'entry.mjs', namespace: 'warden-entry' }));
      build.onLoad({ filter: /.*/, namespace: 'warden-entry' }, () => ({
        contents: `import ${JSON.stringify(guest('globals'))};\nimport ${JSON.stringify(entry)};\n`,
        loader: 'js',
        resolveDir: path.dirname(entry),
      }));
      build.onResolve({ filter: /^warden-buffer-impl$/ }, () => ({
        path: require.resolve('buffer/index.js'),
      }));
      build.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, namespace: 'warden-addon' }));
      build.onLoad({ filter: /.*/, namespace: 'warden-addon' }, (args) => ({
        contents:
          `import { unavailable } from ${JSON.stringify(guest('unavailable'))};\n` +
          `unavailable('native addon ${path.basename(args.path).replace(/'/g, '')}')();\n`,
        loader: 'js',
      }));
      build.onResolve({ filter: /^[a-z_]+(\/[a-z_]+)?$|^node:/ }, (args) => {
        const name = builtinName(args.path);
        if (name === undefined) return undefined;
        const shim = SHIMMED[name];
        if (shim !== undefined) return { path: guest(shim) };
        return { path: name, namespace: 'warden-unavailable' };
      });
      build.onLoad({ filter: /.*/, namespace: 'warden-unavailable' }, (args) => ({
        contents: unavailableSource(args.path),
        loader: 'js',
        resolveDir: GUEST_DIR,
      }));
    },
  };
}
