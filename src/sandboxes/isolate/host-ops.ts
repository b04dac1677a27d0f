import { createHash, createHmac, getHashes, randomBytes, randomInt, randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A non-fs host operation: copied arguments in, a copied value out. */
export type HostOp = (...args: unknown[]) => unknown;

const MAX_RANDOM_BYTES = 1 << 20;
const PATH_FUNCTIONS = new Set([
  'resolve',
  'join',
  'normalize',
  'relative',
  'dirname',
  'basename',
  'extname',
  'parse',
  'format',
  'matchesGlob',
]);
const URL_PARTS = [
  'href',
  'origin',
  'protocol',
  'username',
  'password',
  'host',
  'hostname',
  'port',
  'pathname',
  'search',
  'hash',
] as const;

function urlParts(url: URL): Record<string, string> {
  return Object.fromEntries(URL_PARTS.map((key) => [key, url[key]]));
}

/**
 * Pure helpers the guest shims delegate to the host (path, URL, hashing, randomness, clocks): each takes
 * and returns plain copies, and none touches the filesystem, the network or the host's process state.
 */
export function createPureOps(): Record<string, HostOp> {
  const hashes = new Set(getHashes());
  return {
    path: (name, args) => {
      if (typeof name !== 'string' || !PATH_FUNCTIONS.has(name) || !Array.isArray(args))
        throw new TypeError('bad path call');
      return (path.posix as unknown as Record<string, (...a: unknown[]) => unknown>)[name]?.(...args);
    },
    'url.parse': (input, base) =>
      urlParts(new URL(String(input), base === undefined || base === null ? undefined : String(base))),
    'url.set': (href, key, value) => {
      const url = new URL(String(href));
      if (!(URL_PARTS as readonly string[]).includes(String(key)) || key === 'origin')
        throw new TypeError('bad URL part');
      (url as unknown as Record<string, string>)[String(key)] = String(value);
      return urlParts(url);
    },
    'url.params': (init) => [...new URLSearchParams(String(init))],
    'url.serializeParams': (list) => new URLSearchParams(list as [string, string][]).toString(),
    'url.fileURLToPath': (url) => fileURLToPath(String(url)),
    'url.pathToFileURL': (p) => pathToFileURL(String(p)).href,
    'crypto.randomBytes': (size) => {
      const n = Number(size);
      if (!Number.isInteger(n) || n < 0 || n > MAX_RANDOM_BYTES)
        throw new RangeError(`randomBytes size out of range: ${n}`);
      return new Uint8Array(randomBytes(n));
    },
    'crypto.randomUUID': () => randomUUID(),
    'crypto.randomInt': (min, max) =>
      max === undefined || max === null ? randomInt(Number(min)) : randomInt(Number(min), Number(max)),
    'crypto.checkHash': (algorithm) => {
      if (!hashes.has(String(algorithm).toLowerCase()))
        throw new Error(`Digest method not supported: ${String(algorithm)}`);
      return null;
    },
    'crypto.digest': (algorithm, key, data) => {
      const input = data instanceof Uint8Array ? data : new Uint8Array(0);
      const digest =
        key instanceof Uint8Array
          ? createHmac(String(algorithm), key).update(input).digest()
          : createHash(String(algorithm)).update(input).digest();
      return new Uint8Array(digest);
    },
    'clock.now': () => performance.timeOrigin + performance.now(),
    'clock.hrtime': () => process.hrtime.bigint(),
    'clock.uptime': () => process.uptime(),
    clone: (value) => value,
  };
}
