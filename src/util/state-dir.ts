import path from 'node:path';
import { homeDir } from './home-dir.ts';

/**
 * The warden's state directory: MCP_WARDEN_STATE_DIR, else $XDG_STATE_HOME/mcp-warden, else
 * ~/.local/state/mcp-warden. Holds what must outlive a session and is not a cache (the record of the
 * read-write roots sandboxes were given).
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MCP_WARDEN_STATE_DIR) return env.MCP_WARDEN_STATE_DIR;
  const base = env.XDG_STATE_HOME || path.join(homeDir(env), '.local', 'state');
  return path.join(base, 'mcp-warden');
}
