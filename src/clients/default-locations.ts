import path from 'node:path';
import type { ClientFormat } from './client-formats.ts';

/** The facts that decide where clients keep their configs. */
export interface LocationEnv {
  platform: NodeJS.Platform;
  home: string;
  cwd: string;
  /** %APPDATA% on Windows. */
  appData?: string;
  /** $XDG_CONFIG_HOME on Linux. */
  xdgConfigHome?: string;
}

/** A place a client config may be. */
export interface ConfigLocation {
  file: string;
  format: ClientFormat;
}

/**
 * The usual per-OS config locations of Claude Desktop, Claude Code, Cursor and VS Code (user level),
 * then the project-level ones under `cwd`. Pure: the caller keeps the ones that exist.
 */
export function defaultConfigLocations(env: LocationEnv): ConfigLocation[] {
  const { platform, home, cwd } = env;
  const appData = env.appData ?? path.join(home, 'AppData', 'Roaming');
  const xdg = env.xdgConfigHome ?? path.join(home, '.config');
  const userDir =
    platform === 'darwin'
      ? path.join(home, 'Library', 'Application Support')
      : platform === 'win32'
        ? appData
        : xdg;
  const join = platform === 'win32' ? path.win32.join : path.join;
  return [
    { file: join(userDir, 'Claude', 'claude_desktop_config.json'), format: 'claude-desktop' },
    { file: join(home, '.claude.json'), format: 'claude-code-user' },
    { file: join(home, '.cursor', 'mcp.json'), format: 'cursor' },
    { file: join(userDir, 'Code', 'User', 'mcp.json'), format: 'vscode' },
    { file: join(cwd, '.mcp.json'), format: 'claude-code' },
    { file: join(cwd, '.cursor', 'mcp.json'), format: 'cursor' },
    { file: join(cwd, '.vscode', 'mcp.json'), format: 'vscode' },
  ];
}
