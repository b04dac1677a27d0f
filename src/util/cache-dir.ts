import path from 'node:path';
import { homeDir } from './home-dir.ts';

/**
 * The warden's cache directory: MCP_WARDEN_CACHE_DIR, else $XDG_CACHE_HOME/mcp-warden, else
 * ~/.cache/mcp-warden. Holds npx installs, cached host facts and V8's compile cache.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MCP_WARDEN_CACHE_DIR) return env.MCP_WARDEN_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(homeDir(env), '.cache');
  return path.join(base, 'mcp-warden');
}
