import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fastHashHex } from '../../util/fast-hash.ts';

// Only node builtins and tiny modules here: this runs before the rest of the warden has loaded.

/**
 * What a `run` start is looked up by: the same key means the same configuration, started the same
 * way. Everything but the environment is stored in the cache file in clear and compared exactly; the
 * environment (which may hold secrets the server never gets) only as a hash, and only the part of it
 * the session depends on (keyedEnv).
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
  /** Two fast hashes of the keyed environment (keyedEnv), names and values (never the values themselves). */
  env: string;
}

/**
 * Variables the warden reads itself, or Node and the libraries it uses read for it, by exact name and by
 * prefix. With the names `--env` gives and those the profile passes (checked from the cache entry:
 * entry-checks.ts), they are the environment a session depends on.
 */
const WARDEN_ENV = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'TMP',
  'TEMP',
  'LANG',
  'LANGUAGE',
  'TZ',
  'APPDATA',
  'CODEX_HOME',
  'SUDO_UID',
  'SUDO_GID',
  'SUDO_USER',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
]);
const WARDEN_ENV_PREFIXES = ['MCP_WARDEN_', 'DOCKER_', 'XDG_', 'NODE_', 'LC_', 'SSL_', 'OPENSSL_', 'UV_'];

/**
 * Pure: the part of `env` a `run` with arguments `argv` depends on: the warden's own variables
 * (WARDEN_ENV, any case for the proxy ones) and the names given with `--env`. Everything else is left
 * out, above all what a client sets per session for every server it starts (Claude Code gives each
 * one CLAUDE_CODE_SESSION_ID, CLAUDE_CODE_LAUNCHED_BY_SESSION_IDS and CLAUDE_CODE_CHILD_NOTES_DIR,
 * new at every start): hashed with the rest, no start under such a client would ever find its cached
 * launch. A variable left out can change the prepared plan only by being passed to the server, which
 * the profile's names cover (envValuesHash) and the plan comparison before adoption covers in any case.
 */
export function keyedEnv(argv: readonly string[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const given = new Set<string>();
  for (let i = 0; i < argv.length && argv[i] !== '--'; i += 1) {
    const arg = argv[i] as string;
    const spec = arg === '--env' ? argv[(i += 1)] : arg.startsWith('--env=') ? arg.slice(6) : undefined;
    if (spec !== undefined) given.add(spec.split('=')[0] as string);
  }
  const keyed: NodeJS.ProcessEnv = {};
  for (const name of Object.keys(env)) {
    const upper = name.toUpperCase();
    if (
      given.has(name) ||
      WARDEN_ENV.has(name) ||
      (upper.endsWith('_PROXY') && WARDEN_ENV.has(upper)) ||
      WARDEN_ENV_PREFIXES.some((prefix) => name.startsWith(prefix))
    )
      keyed[name] = env[name];
  }
  return keyed;
}

/** Two fast hashes of the values of `names` in `env` (an unset name counts as unset, not as ""). */
export function envValuesHash(names: readonly string[], env: NodeJS.ProcessEnv): string {
  const picked: NodeJS.ProcessEnv = {};
  for (const name of names) if (env[name] !== undefined) picked[name] = env[name];
  return envHash(picked);
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
    env: envHash(keyedEnv(argv, env)),
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
