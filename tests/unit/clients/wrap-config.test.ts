import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_FORMATS, detectFormat } from '../../../src/clients/client-formats.ts';
import { openDocument } from '../../../src/clients/config-document.ts';
import { findServerEntries } from '../../../src/clients/server-entries.ts';
import { readEntry } from '../../../src/clients/server-shape.ts';
import { WRAP_KEY, unwrapConfig, wrapConfig } from '../../../src/clients/wrap-config.ts';
import { PROJECT_ROOT } from '../../helpers/warden.ts';

const FIXTURES = path.join(PROJECT_ROOT, 'tests/fixtures/clients');

/** Fixture file → the name the client gives it (the format is detected from it). */
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
};

function load(fixture: string): string {
  return readFileSync(path.join(FIXTURES, fixture), 'utf8')
    .replaceAll('__FS_SERVER__', '/opt/fs/index.js')
    .replaceAll('__ROOT__', '/data/project');
}

describe.each(CASES)('%s', (fixture, file, format) => {
  const original = load(fixture);

  it('detects the format', () => {
    expect(openDocument(original, file).format).toBe(format);
  });

  it('wraps every stdio server, leaves HTTP entries alone, and unwraps to the same bytes', () => {
    const wrapped = wrapConfig(original, file, options);
    expect(wrapped.text).not.toBe(original);
    const fs = wrapped.changes.find((c) => c.server === 'filesystem');
    expect(fs).toMatchObject({ action: 'wrapped', roots: ['/data/project'] });
    for (const change of wrapped.changes) {
      if (change.action === 'skipped')
        expect(change.note).toMatch(/HTTP|builtin extension|extension's server/);
    }
    // The wrapped filesystem entry runs the warden with the original command after `--`.
    const entry = openDocument(wrapped.text, file).entries.find((e) => e.name === 'filesystem');
    const read = readEntry(entry?.value, CLIENT_FORMATS[format].shape);
    if (read.kind !== 'stdio') throw new Error('filesystem is not a stdio entry after wrapping');
    const value = read.launch;
    expect(value.command).toBe('/usr/bin/node');
    const split = value.args.indexOf('--');
    expect(value.args.slice(0, 4)).toEqual(['/opt/mcp-warden/main.js', 'run', '--profile', 'auto']);
    expect(value.args.slice(split + 1)).toEqual(['node', '/opt/fs/index.js', '/data/project']);
    expect(value.args.slice(0, split)).toContain('/data/project');
    for (const name of value.envNames) {
      expect(value.args.slice(0, split).join(' ')).toContain(`--env ${name}`);
    }
    // Everything outside the wrapped entries is untouched.
    const unwrapped = unwrapConfig(wrapped.text, file);
    expect(unwrapped.text).toBe(original);
  });

  it('is idempotent: wrapping twice changes nothing the second time', () => {
    const once = wrapConfig(original, file, options).text;
    const twice = wrapConfig(once, file, options);
    expect(twice.text).toBe(once);
    expect(twice.changes.filter((c) => c.action === 'wrapped')).toEqual([]);
  });

  it('unwrap of an unwrapped file changes nothing', () => {
    expect(unwrapConfig(original, file).text).toBe(original);
  });
});

describe('wrapConfig details', () => {
  it('keeps the key order and other keys of the entry, and the original text under x-mcp-warden', () => {
    const text =
      '{"mcpServers": {"a": {"env": {"K": "v"}, "command": "srv", "cwd": "/w", "args": ["/data/project"]}}}';
    const wrapped = wrapConfig(text, '/x/.mcp.json', options).text;
    const value = findServerEntries(wrapped, '/x/.mcp.json').entries[0]?.value as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['env', 'command', 'cwd', 'args', WRAP_KEY]);
    expect(value[WRAP_KEY]).toEqual({
      original: '{"env": {"K": "v"}, "command": "srv", "cwd": "/w", "args": ["/data/project"]}',
    });
    expect(value.args).toEqual([
      '/opt/mcp-warden/main.js',
      'run',
      '--profile',
      'auto',
      '--root',
      '/data/project',
      '--env',
      'K',
      '--',
      'srv',
      '/data/project',
    ]);
  });

  it('adds args when the entry had none, honours --server, --profile, --root and a local warden command', () => {
    const text =
      '{\n  "mcpServers": {\n    "a": { "command": "srv" },\n    "b": { "command": "other" }\n  }\n}\n';
    const result = wrapConfig(text, '/x/.mcp.json', {
      ...options,
      wardenCommand: ['node', '/src/cli/main.ts'],
      profile: 'bwrap',
      roots: ['/r:ro'],
      servers: ['a'],
    });
    expect(result.changes).toEqual([
      {
        server: 'a',
        action: 'wrapped',
        roots: ['/r:ro'],
        runArgs: ['--profile', 'bwrap', '--root', '/r:ro'],
      },
    ]);
    const entries = findServerEntries(result.text, '/x/.mcp.json').entries;
    expect(entries[0]?.value).toMatchObject({
      command: 'node',
      args: ['/src/cli/main.ts', 'run', '--profile', 'bwrap', '--root', '/r:ro', '--', 'srv'],
    });
    expect(entries[1]?.value).toEqual({ command: 'other' });
    expect(unwrapConfig(result.text, '/x/.mcp.json').text).toBe(text);
  });

  it('unwraps only the named servers', () => {
    const text = '{"mcpServers": {"a": {"command": "x"}, "b": {"command": "y"}}}';
    const wrapped = wrapConfig(text, '/x/.mcp.json', options).text;
    const partly = unwrapConfig(wrapped, '/x/.mcp.json', ['a']);
    expect(partly.changes).toEqual([{ server: 'a', action: 'unwrapped' }]);
    expect(unwrapConfig(partly.text, '/x/.mcp.json').text).toBe(text);
  });

  it('names the line and column of a syntax error', () => {
    expect(() => wrapConfig('{\n  "mcpServers": {,}\n}', '/x/.mcp.json', options)).toThrow(
      /\.mcp\.json:2:\d+: not valid JSON/,
    );
  });

  it('detects formats by name, then by top-level key', () => {
    expect(detectFormat('/a/mcp.json', ['servers'])).toBe('vscode');
    expect(detectFormat('/a/mcp.json', ['mcpServers'])).toBe('claude-code');
    expect(detectFormat('/home/u/.config/Code/User/mcp.json', [])).toBe('vscode');
  });
});
