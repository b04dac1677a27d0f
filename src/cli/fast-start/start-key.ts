import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fastHashHex } from '../../util/fast-hash.ts';

// Only node builtins and tiny modules here: this runs before the rest of the warden has loaded.

/**
 * What a `run` start is looked up by: the same key means the same configuration, started the same
 * way. Everything but the environment is stored in the cache file in clear and compared exactly; the
 * environment (which may hold secrets the server never gets) only as a hash.
 */
export interface StartKey {
  /** The arguments after `run`, exactly. */
  argv: string[];
  /** The warden's working directory (relative paths in argv resolve against it). */
  cwd: string;
  /** The node binary, its version and its flags. */
  node: string;
  /** The warden's own code: its entry module and package.json, with their sizes and times. */
  warden: string;
  /** Two fast hashes of the full environment, names and values (never the values themselves). */
  env: string;
}

/** package.json, from src/cli/fast-start and dist/cli/fast-start alike. */
const PACKAGE_JSON = path.resolve(import.meta.dirname, '..', '..', '..', 'package.json');

/** The key of a start with arguments `argv` (after `run`) in environment `env`. Never throws. */
export function startKey(argv: readonly string[], env: NodeJS.ProcessEnv, cwd = process.cwd()): StartKey {
  return {
    argv: [...argv],
    cwd,
    node: [process.execPath, process.version, ...process.execArgv].join('\0'),
    warden: [process.argv[1] ?? '', import.meta.filename, PACKAGE_JSON].map(fileIdentity).join('\0'),
    env: envHash(env),
  };
}

/** The cache file's name for `key` (a fast hash: the file holds the key and a read compares it). */
export function keyFileName(key: StartKey): string {
  return `${fastHashHex(JSON.stringify(key))}.json`;
}

/** The first field in which `a` and `b` differ, or undefined when they are the same key. */
export function keyDifference(a: StartKey, b: StartKey): string | undefined {
  if (a.argv.length !== b.argv.length || a.argv.some((arg, i) => arg !== b.argv[i])) return 'arguments';
  if (a.cwd !== b.cwd) return 'working directory';
  if (a.node !== b.node) return 'node binary or version';
  if (a.warden !== b.warden) return 'mcp-warden version';
  if (a.env !== b.env) return 'environment';
  return undefined;
}

function envHash(env: NodeJS.ProcessEnv): string {
  const text = Object.keys(env)
    .sort()
    .map((name) => `${name}=${env[name] ?? ''}`)
    .join('\0');
  return fastHashHex(`a\0${text}`) + fastHashHex(`b\0${text}`);
}

function fileIdentity(file: string): string {
  try {
    const real = realpathSync(file);
    const stat = statSync(real);
    return `${real}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return `${file}:missing`;
  }
}
