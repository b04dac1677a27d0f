import { describe, expect, it } from 'vitest';
import { defaultConfigLocations, workspaceFolderOf } from '../../../src/clients/default-locations.ts';

describe('defaultConfigLocations', () => {
  it('macOS', () => {
    const files = defaultConfigLocations({ platform: 'darwin', home: '/Users/u', cwd: '/p' }).map(
      (l) => l.file,
    );
    expect(files).toContain('/Users/u/Library/Application Support/Claude/claude_desktop_config.json');
    expect(files).toContain('/Users/u/Library/Application Support/Code/User/mcp.json');
    expect(files).toContain('/Users/u/.claude.json');
    expect(files).toContain('/p/.vscode/mcp.json');
  });

  it('Linux honours XDG_CONFIG_HOME', () => {
    const files = defaultConfigLocations({
      platform: 'linux',
      home: '/home/u',
      cwd: '/p',
      xdgConfigHome: '/x',
    }).map((l) => l.file);
    expect(files).toContain('/x/Claude/claude_desktop_config.json');
    expect(files).toContain('/home/u/.cursor/mcp.json');
    expect(files).toContain('/p/.mcp.json');
  });

  it('Windows uses %APPDATA%', () => {
    const files = defaultConfigLocations({
      platform: 'win32',
      home: 'C:\\Users\\u',
      cwd: 'C:\\p',
      appData: 'C:\\Users\\u\\AppData\\Roaming',
    }).map((l) => l.file);
    expect(files).toContain('C:\\Users\\u\\AppData\\Roaming\\Claude\\claude_desktop_config.json');
  });

  it('includes Windsurf, Gemini CLI, Cline, Zed, Codex CLI and Goose', () => {
    const locations = defaultConfigLocations({ platform: 'linux', home: '/home/u', cwd: '/p' });
    const files = Object.fromEntries(locations.map((l) => [l.file, l.format]));
    expect(files).toMatchObject({
      '/home/u/.codeium/windsurf/mcp_config.json': 'windsurf',
      '/home/u/.gemini/settings.json': 'gemini',
      '/home/u/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json':
        'cline',
      '/home/u/.config/zed/settings.json': 'zed',
      '/home/u/.codex/config.toml': 'codex',
      '/home/u/.config/goose/config.yaml': 'goose',
      '/p/.gemini/settings.json': 'gemini',
    });
    expect(
      defaultConfigLocations({ platform: 'linux', home: '/home/u', cwd: '/p', codexHome: '/c' }).map(
        (l) => l.file,
      ),
    ).toContain('/c/config.toml');
  });

  it('knows the workspace folder of a project-level config, and none for a user-level one', () => {
    expect(workspaceFolderOf('/p/.vscode/mcp.json', 'vscode', '/home/u')).toBe('/p');
    expect(workspaceFolderOf('/p/.mcp.json', 'claude-code', '/home/u')).toBe('/p');
    expect(workspaceFolderOf('/p/.gemini/settings.json', 'gemini', '/home/u')).toBe('/p');
    expect(workspaceFolderOf('/home/u/.gemini/settings.json', 'gemini', '/home/u')).toBeUndefined();
    expect(workspaceFolderOf('/home/u/.cursor/mcp.json', 'cursor', '/home/u')).toBeUndefined();
    expect(workspaceFolderOf('/home/u/.config/Code/User/mcp.json', 'vscode', '/home/u')).toBeUndefined();
  });
});
