// wrap --allow-host on every client format: the values are written into the wrapped `run` argv (before
// `--`, after --env), the server's own command is untouched, and unwrap restores the original bytes.
// Network detection rides along on every wrapped entry, and a host is never written unless asked for.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_FORMATS } from '../../../src/clients/client-formats.ts';
import { openDocument } from '../../../src/clients/config-document.ts';
import { readEntry } from '../../../src/clients/server-shape.ts';
import { unwrapConfig, wrapConfig } from '../../../src/clients/wrap-config.ts';
import { loadKnownNetworkServers } from '../../../src/config/load-known-servers.ts';
import { parseRunArgs } from '../../../src/cli/args.ts';
import { PROJECT_ROOT } from '../../helpers/warden.ts';

const FIXTURES = path.join(PROJECT_ROOT, 'tests/fixtures/clients');
const knownServers = loadKnownNetworkServers();

const CASES = [
  ['claude_desktop_config.json', '/cfg/Claude/claude_desktop_config.json', 'claude-desktop'],
  ['claude-code.mcp.json', '/proj/.mcp.json', 'claude-code'],
  ['claude-user.claude.json', '/home/u/.claude.json', 'claude-code-user'],
  ['cursor.mcp.json', '/home/u/.cursor/mcp.json', 'cursor'],
  ['vscode.mcp.json', '/proj/.vscode/mcp.json', 'vscode'],
  ['windsurf.mcp_config.json', '/home/u/.codeium/windsurf/mcp_config.json', 'windsurf'],
  ['gemini.settings.json', '/home/u/.gemini/settings.json', 'gemini'],
  ['cline_mcp_settings.json', '/c/settings/cline_mcp_settings.json', 'cline'],
  ['zed.settings.json', '/home/u/.config/zed/settings.json', 'zed'],
  ['codex.config.toml', '/home/u/.codex/config.toml', 'codex'],
  ['goose.config.yaml', '/home/u/.config/goose/config.yaml', 'goose'],
] as const;

const options = {
  wardenCommand: ['/usr/bin/node', '/opt/mcp-warden/main.js'],
  isDirectory: (p: string) => p === '/data/project',
  knownServers,
};
const HOSTS = ['api.github.com', '*.githubusercontent.com', '127.0.0.1:8443'];

function load(fixture: string): string {
  return readFileSync(path.join(FIXTURES, fixture), 'utf8')
    .replaceAll('__FS_SERVER__', '/opt/fs/index.js')
    .replaceAll('__ROOT__', '/data/project');
}

function argvOf(text: string, file: string, format: (typeof CASES)[number][2], server: string): string[] {
  const entry = openDocument(text, file).entries.find((e) => e.name === server);
  const read = readEntry(entry?.value, CLIENT_FORMATS[format].shape);
  if (read.kind !== 'stdio') throw new Error(`${server} is not a stdio entry`);
  return [read.launch.command, ...read.launch.args];
}

describe.each(CASES)('%s', (fixture, file, format) => {
  const original = load(fixture);

  it('writes --allow-host into the selected server’s run argv, and unwrap restores the bytes', () => {
    const wrapped = wrapConfig(original, file, { ...options, servers: ['filesystem'], allowHosts: HOSTS });
    const change = wrapped.changes.find((c) => c.server === 'filesystem');
    expect(change?.action).toBe('wrapped');
    expect(change?.note).toContain(
      "network: --allow-host api.github.com, *.githubusercontent.com, 127.0.0.1:8443 (through the warden's proxy)",
    );
    const argv = argvOf(wrapped.text, file, format, 'filesystem');
    const split = argv.indexOf('--');
    expect(argv.slice(1, 3)).toEqual(['/opt/mcp-warden/main.js', 'run']);
    const own = argv.slice(3, split);
    const flags = own.flatMap((word, i) => (word === '--allow-host' ? [own[i + 1]] : []));
    expect(flags).toEqual(HOSTS);
    // run's own parser reads them back, in order, as --allow-host values.
    expect(parseRunArgs([...argv.slice(3, split), '--', 'x'])?.allowHost).toEqual(HOSTS);
    expect(argv.slice(split + 1)).toEqual(['node', '/opt/fs/index.js', '/data/project']);
    // Only the selected server was wrapped, so only it got them.
    expect(wrapped.changes.filter((c) => c.action === 'wrapped').map((c) => c.server)).toEqual([
      'filesystem',
    ]);
    expect(unwrapConfig(wrapped.text, file).text).toBe(original);
  });

  it('never writes a host nobody asked for: detection only suggests', () => {
    const wrapped = wrapConfig(original, file, options);
    expect(wrapped.text).not.toContain('--allow-host');
    expect(wrapped.text).not.toContain('api.github.com');
    expect(unwrapConfig(wrapped.text, file).text).toBe(original);
  });
});

describe('detection on the fixtures', () => {
  it('Claude Desktop: github is known (api.github.com), filesystem is flagged only by its *_TOKEN name', () => {
    const wrapped = wrapConfig(
      load('claude_desktop_config.json'),
      '/cfg/Claude/claude_desktop_config.json',
      options,
    );
    const byName = Object.fromEntries(wrapped.changes.map((c) => [c.server, c.network]));
    expect(byName.github).toMatchObject({
      known: { package: '@modelcontextprotocol/server-github' },
      tableHosts: ['api.github.com'],
    });
    expect(byName.filesystem).toEqual({ reasons: ['env FS_TEST_TOKEN'], tableHosts: [], urlHosts: [] });
    expect(byName.memory).toBeUndefined();
  });

  it('VS Code: uvx mcp-server-fetch is known, with no fixed hosts', () => {
    const wrapped = wrapConfig(load('vscode.mcp.json'), '/proj/.vscode/mcp.json', options);
    const fetch = wrapped.changes.find((c) => c.server === 'fetch');
    expect(fetch?.network?.known?.package).toBe('mcp-server-fetch');
    expect(fetch?.network?.tableHosts).toEqual([]);
  });

  it('without the table, nothing is detected', () => {
    const { knownServers: _table, ...plain } = options;
    const wrapped = wrapConfig(
      load('claude_desktop_config.json'),
      '/cfg/Claude/claude_desktop_config.json',
      plain,
    );
    expect(wrapped.changes.every((c) => c.network === undefined)).toBe(true);
  });
});
