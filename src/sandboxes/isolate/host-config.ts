import type { ResolvedRoot } from '../../config/root.ts';

/**
 * The environment variable that carries the host's configuration as JSON. Not argv: /proc/PID/cmdline is
 * readable by every local user, /proc/PID/environ only by the process's own user (issue 20 item 11).
 */
export const HOST_CONFIG_ENV = 'MCP_WARDEN_ISOLATE_CONFIG';

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
