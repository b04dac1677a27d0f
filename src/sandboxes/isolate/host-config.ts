import type { ResolvedRoot } from '../../config/root.ts';

/**
 * The environment variable that carries the host's configuration as JSON. Not argv: /proc/PID/cmdline is
 * readable by every local user, /proc/PID/environ only by the process's own user (issue 20 item 11).
 */
export const HOST_CONFIG_ENV = 'MCP_WARDEN_ISOLATE_CONFIG';
/**
 * HOST_CONFIG_ENV's value for a host started before its configuration was known (the backend's
 * prestart): the configuration then arrives as the first line on stdin, written by the warden before
 * any of the client's bytes (a pipe only the warden holds, as private as the environment).
 */
export const CONFIG_ON_STDIN = '-';
/** A configuration line longer than this is refused (the warden's are a few KB). */
const MAX_CONFIG_LINE = 16 * 1024 * 1024;

/** Everything the isolate host process needs, passed by the warden as JSON in HOST_CONFIG_ENV. */
export interface HostConfig {
  /** Absolute path of the server's entry script (bundled by the host). */
  entry: string;
  /** The guest's process.argv: [node, entry, ...server arguments]. */
  argv: string[];
  /** The guest's process.env, exactly (the --env allowlist plus the pinned baseline). */
  env: Record<string, string>;
  /** The guest's working directory (first root, else /tmp). */
  cwd: string;
  roots: ResolvedRoot[];
  /**
   * Host paths the guest may read but not write: its own code (package and node_modules). The bundler
   * loads files from these (by real path) and nowhere else.
   */
  readOnlyPaths: string[];
  /** The isolate's heap limit in MB. */
  memoryMb: number;
  /** CPU the guest may burn without going idle before the watchdog kills it (ms). */
  cpuMs: number;
  /** The warden's cache directory for bundles and code caches; undefined: no caching. */
  cacheDir: string | undefined;
  /**
   * The session's egress proxy socket (network.allow): fetch, http and https go through it, host-side.
   * Undefined: the guest has no network at all.
   */
  egressSocket?: string;
}

/** Parse and sanity-check the host's JSON configuration; throws with a message naming what is wrong. */
export function parseHostConfig(text: string | undefined): HostConfig {
  if (text === undefined) throw new Error(`usage: ${HOST_CONFIG_ENV}=CONFIG_JSON node host-main`);
  const value = JSON.parse(text) as HostConfig;
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string');
  const problems = [
    typeof value.entry === 'string' && value.entry.startsWith('/') ? '' : 'entry must be an absolute path',
    strings(value.argv) ? '' : 'argv must be strings',
    strings(value.readOnlyPaths) ? '' : 'readOnlyPaths must be strings',
    value.env && typeof value.env === 'object' ? '' : 'env must be an object',
    Array.isArray(value.roots) ? '' : 'roots must be an array',
    Number.isFinite(value.memoryMb) && value.memoryMb >= 8 ? '' : 'memoryMb must be at least 8',
    Number.isFinite(value.cpuMs) && value.cpuMs > 0 ? '' : 'cpuMs must be positive',
    value.egressSocket === undefined ||
    (typeof value.egressSocket === 'string' && value.egressSocket.startsWith('/'))
      ? ''
      : 'egressSocket must be an absolute path',
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`bad isolate host config: ${problems.join('; ')}`);
  return value;
}

/**
 * The first line of `stream` (the configuration, for CONFIG_ON_STDIN), leaving the stream paused with
 * every byte after the newline still unread, for the guest. Rejects on end, error or an over-long line.
 */
export function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const newline = bytes.indexOf(10);
      if (newline < 0) {
        chunks.push(bytes);
        size += bytes.length;
        if (size > MAX_CONFIG_LINE) {
          done();
          reject(new Error('the isolate host configuration line is too long'));
        }
        return;
      }
      chunks.push(bytes.subarray(0, newline));
      done();
      if (newline + 1 < bytes.length) stream.unshift(bytes.subarray(newline + 1));
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onEnd = (): void => {
      done();
      reject(new Error('stdin ended before the isolate host configuration'));
    };
    const onError = (error: Error): void => {
      done();
      reject(error);
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}
