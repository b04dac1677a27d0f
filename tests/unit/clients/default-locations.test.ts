import { describe, expect, it } from 'vitest';
import { defaultConfigLocations } from '../../../src/clients/default-locations.ts';

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
});
