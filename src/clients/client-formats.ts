import path from 'node:path';

/** The MCP client config formats `wrap` understands. */
export type ClientFormat = 'claude-desktop' | 'claude-code' | 'claude-code-user' | 'cursor' | 'vscode';

/** Where a format keeps its servers: a JSON path to an object of name → entry; `*` matches any key. */
export type ServerMapPath = readonly string[];

interface FormatInfo {
  label: string;
  /** Whether the client reads the file as JSONC (comments, trailing commas). */
  comments: boolean;
  serverMaps: readonly ServerMapPath[];
}

/** Per-format facts. Claude and Cursor configs are strict JSON; VS Code's mcp.json is JSONC. */
export const CLIENT_FORMATS: Readonly<Record<ClientFormat, FormatInfo>> = {
  'claude-desktop': { label: 'Claude Desktop', comments: false, serverMaps: [['mcpServers']] },
  'claude-code': { label: 'Claude Code (.mcp.json)', comments: false, serverMaps: [['mcpServers']] },
  'claude-code-user': {
    label: 'Claude Code (~/.claude.json)',
    comments: false,
    serverMaps: [['mcpServers'], ['projects', '*', 'mcpServers']],
  },
  cursor: { label: 'Cursor', comments: true, serverMaps: [['mcpServers']] },
  vscode: { label: 'VS Code', comments: true, serverMaps: [['servers']] },
};

/**
 * Guess a config's format from its file name, then its top-level keys (`servers` is VS Code's,
 * `mcpServers` everyone else's). Pure.
 */
export function detectFormat(file: string, topLevelKeys: readonly string[]): ClientFormat {
  const base = path.basename(file);
  const dir = path.basename(path.dirname(file));
  if (base === 'claude_desktop_config.json') return 'claude-desktop';
  if (base === '.claude.json') return 'claude-code-user';
  if (base === '.mcp.json') return 'claude-code';
  if (dir === '.vscode' || (dir === 'User' && base === 'mcp.json')) return 'vscode';
  if (dir === '.cursor') return 'cursor';
  if (topLevelKeys.includes('servers') && !topLevelKeys.includes('mcpServers')) return 'vscode';
  return 'claude-code';
}
