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
  /** $CODEX_HOME (default ~/.codex). */
  codexHome?: string;
}

/** A place a client config may be. */
export interface ConfigLocation {
  file: string;
  format: ClientFormat;
}

/**
 * The usual per-OS config locations of every supported client (user level), then the project-level ones
 * under `cwd`. Pure: the caller keeps the ones that exist.
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
  // Zed and Goose keep their settings under ~/.config on macOS too; on Windows under %APPDATA%.
  const dotConfig = platform === 'win32' ? appData : xdg;
  const cline = join('globalStorage', 'saoudrizwan.claude-dev', 'settings', 'cline_mcp_settings.json');
  return [
    { file: join(userDir, 'Claude', 'claude_desktop_config.json'), format: 'claude-desktop' },
    { file: join(home, '.claude.json'), format: 'claude-code-user' },
    { file: join(home, '.cursor', 'mcp.json'), format: 'cursor' },
    { file: join(userDir, 'Code', 'User', 'mcp.json'), format: 'vscode' },
    { file: join(home, '.codeium', 'windsurf', 'mcp_config.json'), format: 'windsurf' },
    { file: join(home, '.gemini', 'settings.json'), format: 'gemini' },
    { file: join(userDir, 'Code', 'User', cline), format: 'cline' },
    { file: join(dotConfig, 'zed', 'settings.json'), format: 'zed' },
    { file: join(env.codexHome ?? join(home, '.codex'), 'config.toml'), format: 'codex' },
    { file: join(dotConfig, 'goose', 'config.yaml'), format: 'goose' },
    { file: join(cwd, '.mcp.json'), format: 'claude-code' },
    { file: join(cwd, '.cursor', 'mcp.json'), format: 'cursor' },
    { file: join(cwd, '.vscode', 'mcp.json'), format: 'vscode' },
    { file: join(cwd, '.gemini', 'settings.json'), format: 'gemini' },
    { file: join(cwd, '.zed', 'settings.json'), format: 'zed' },
    { file: join(cwd, '.codex', 'config.toml'), format: 'codex' },
  ];
}

/**
 * The folder a project-level config belongs to (its client's workspace folder and working directory),
 * or undefined for a user-level config. Pure.
 */
export function workspaceFolderOf(file: string, format: ClientFormat, home: string): string | undefined {
  const dir = path.dirname(file);
  const folder = path.basename(dir);
  if (format === 'claude-code' && path.basename(file) === '.mcp.json') return dir;
  const projectDirs: Partial<Record<ClientFormat, string>> = {
    vscode: '.vscode',
    cursor: '.cursor',
    gemini: '.gemini',
    zed: '.zed',
    codex: '.codex',
  };
  if (projectDirs[format] !== folder) return undefined;
  const project = path.dirname(dir);
  // ~/.cursor, ~/.gemini and ~/.codex are the user-level homes of those clients, not a project.
  return path.resolve(project) === path.resolve(home) ? undefined : project;
}
