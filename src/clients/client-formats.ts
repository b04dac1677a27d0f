import path from 'node:path';

/** The MCP client config formats `wrap` understands. */
export type ClientFormat =
  | 'claude-desktop'
  | 'claude-code'
  | 'claude-code-user'
  | 'cursor'
  | 'vscode'
  | 'windsurf'
  | 'gemini'
  | 'cline'
  | 'zed'
  | 'codex'
  | 'goose';

/** Every format, in the order `--format` lists them. */
export const CLIENT_FORMAT_NAMES: readonly ClientFormat[] = [
  'claude-desktop',
  'claude-code',
  'claude-code-user',
  'cursor',
  'vscode',
  'windsurf',
  'gemini',
  'cline',
  'zed',
  'codex',
  'goose',
];

/** Where a format keeps its servers: a JSON path to an object of name → entry; `*` matches any key. */
export type ServerMapPath = readonly string[];

/** The file syntax: JSON (strict), JSONC (comments, trailing commas), TOML or YAML. */
export type ConfigSyntax = 'json' | 'jsonc' | 'toml' | 'yaml';

/**
 * How one server entry is spelled: `standard` is {command, args, env} (Claude, Cursor, VS Code, Windsurf,
 * Gemini, Cline, and Zed's current form), `zed` also accepts Zed's older {command: {path, args, env}},
 * `codex` is a TOML table with command/args/env/env_vars, `goose` a YAML extension with cmd/args/envs/env_keys.
 */
export type EntryShape = 'standard' | 'zed' | 'codex' | 'goose';

/**
 * The variable syntaxes a client expands in `command`, `args` and `env` before it starts a server
 * (docs/clients.md cites where each was found):
 * - `vscode`: `${workspaceFolder}`, `${userHome}`, `${env:NAME}`, `${cwd}`, `${pathSeparator}`, `${/}`, ...
 * - `cursor`: `${workspaceFolder}`, `${userHome}`, `${env:NAME}`, `${workspaceFolderBasename}`, `${pathSeparator}`, `${/}`
 * - `windsurf`: `${env:NAME}` (and `${file:PATH}`, the content of a file)
 * - `claude-code`: `${NAME}` and `${NAME:-default}` from the environment
 * - `gemini`: `$NAME`, `${NAME}` and `${NAME:-default}` from the environment
 * - `none`: the client passes strings as they are.
 */
export type VariableSyntax = 'vscode' | 'cursor' | 'windsurf' | 'claude-code' | 'gemini' | 'none';

interface FormatInfo {
  label: string;
  syntax: ConfigSyntax;
  /** For JSON/JSONC: where the servers are. */
  serverMaps: readonly ServerMapPath[];
  shape: EntryShape;
  variables: VariableSyntax;
}

/** Per-format facts. */
export const CLIENT_FORMATS: Readonly<Record<ClientFormat, FormatInfo>> = {
  'claude-desktop': {
    label: 'Claude Desktop',
    syntax: 'json',
    serverMaps: [['mcpServers']],
    shape: 'standard',
    variables: 'none',
  },
  'claude-code': {
    label: 'Claude Code (.mcp.json)',
    syntax: 'json',
    serverMaps: [['mcpServers']],
    shape: 'standard',
    variables: 'claude-code',
  },
  'claude-code-user': {
    label: 'Claude Code (~/.claude.json)',
    syntax: 'json',
    serverMaps: [['mcpServers'], ['projects', '*', 'mcpServers']],
    shape: 'standard',
    variables: 'claude-code',
  },
  cursor: {
    label: 'Cursor',
    syntax: 'jsonc',
    serverMaps: [['mcpServers']],
    shape: 'standard',
    variables: 'cursor',
  },
  vscode: {
    label: 'VS Code',
    syntax: 'jsonc',
    serverMaps: [['servers']],
    shape: 'standard',
    variables: 'vscode',
  },
  windsurf: {
    label: 'Windsurf',
    syntax: 'json',
    serverMaps: [['mcpServers']],
    shape: 'standard',
    variables: 'windsurf',
  },
  gemini: {
    label: 'Gemini CLI',
    syntax: 'jsonc',
    serverMaps: [['mcpServers']],
    shape: 'standard',
    variables: 'gemini',
  },
  cline: {
    label: 'Cline',
    syntax: 'json',
    serverMaps: [['mcpServers']],
    shape: 'standard',
    variables: 'none',
  },
  zed: { label: 'Zed', syntax: 'jsonc', serverMaps: [['context_servers']], shape: 'zed', variables: 'none' },
  codex: { label: 'Codex CLI', syntax: 'toml', serverMaps: [], shape: 'codex', variables: 'none' },
  goose: { label: 'Goose', syntax: 'yaml', serverMaps: [], shape: 'goose', variables: 'none' },
};

/**
 * Guess a config's format from its file name and folder, then (for JSON) its top-level keys
 * (`servers` is VS Code's, `context_servers` Zed's, `mcpServers` everyone else's). Pure.
 */
export function detectFormat(file: string, topLevelKeys: readonly string[] = []): ClientFormat {
  const base = path.basename(file);
  const dir = path.basename(path.dirname(file));
  const ext = path.extname(base).toLowerCase();
  if (base === 'claude_desktop_config.json') return 'claude-desktop';
  if (base === '.claude.json') return 'claude-code-user';
  if (base === '.mcp.json') return 'claude-code';
  if (base === 'mcp_config.json') return 'windsurf';
  if (base === 'cline_mcp_settings.json') return 'cline';
  if (ext === '.toml') return 'codex';
  if (ext === '.yaml' || ext === '.yml') return 'goose';
  if (dir === '.gemini' && base === 'settings.json') return 'gemini';
  if ((dir === 'zed' || dir === '.zed') && base === 'settings.json') return 'zed';
  if (dir === '.vscode' || (dir === 'User' && base === 'mcp.json')) return 'vscode';
  if (dir === '.cursor') return 'cursor';
  if (topLevelKeys.includes('context_servers')) return 'zed';
  if (topLevelKeys.includes('servers') && !topLevelKeys.includes('mcpServers')) return 'vscode';
  return 'claude-code';
}
