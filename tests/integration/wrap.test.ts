// wrap → the real SDK client starts exactly what the wrapped config says and uses server-filesystem
// through the local warden → wrap again changes nothing → unwrap gives back the original bytes.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { parse } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT, WARDEN_ENTRY } from '../helpers/warden.ts';

const FS_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);
const FIXTURES = path.join(PROJECT_ROOT, 'tests/fixtures/clients');
const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';
const WARDEN_COMMAND = `${process.execPath} ${WARDEN_ENTRY}`;

/** Fixture → where the client keeps it (relative to a fake home), and where its servers live. */
const CASES = [
  {
    fixture: 'claude_desktop_config.json',
    file: '.config/Claude/claude_desktop_config.json',
    servers: ['mcpServers'],
  },
  { fixture: 'claude-code.mcp.json', file: 'project/.mcp.json', servers: ['mcpServers'] },
  { fixture: 'claude-user.claude.json', file: '.claude.json', servers: ['mcpServers'] },
  { fixture: 'cursor.mcp.json', file: '.cursor/mcp.json', servers: ['mcpServers'] },
  { fixture: 'vscode.mcp.json', file: 'project/.vscode/mcp.json', servers: ['servers'] },
];

function warden(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const out = spawnSync(process.execPath, [WARDEN_ENTRY, ...args], {
    encoding: 'utf8',
    env: options.env ?? process.env,
    cwd: options.cwd ?? PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe.each(CASES)('wrap/unwrap $fixture (profile ' + PROFILE + ')', ({ fixture, file, servers }) => {
  it('wraps, the SDK client uses the wrapped server-filesystem, wrap is idempotent, unwrap restores the bytes', async () => {
    const home = tmpRoot('wrap-home');
    const root = tmpRoot('wrap-root');
    writeFileSync(path.join(root, 'notes.txt'), 'hello from the root\n');
    const config = path.join(home, file);
    mkdirSync(path.dirname(config), { recursive: true });
    const original = readFileSync(path.join(FIXTURES, fixture), 'utf8')
      .replaceAll('__FS_SERVER__', FS_SERVER)
      .replaceAll('__ROOT__', root);
    writeFileSync(config, original);

    const wrap = warden([
      'wrap',
      '--config',
      config,
      '--profile',
      PROFILE,
      '--warden-command',
      WARDEN_COMMAND,
    ]);
    expect(wrap.code, wrap.stderr).toBe(0);
    expect(wrap.stdout).toMatch(/filesystem: wrapped roots: /);
    expect(readFileSync(`${config}.mcp-warden.bak`, 'utf8')).toBe(original);
    const wrappedText = readFileSync(config, 'utf8');
    expect(wrappedText).not.toBe(original);

    // HTTP entries are byte-identical in the wrapped file.
    const tree = parse(wrappedText, [], { allowTrailingComma: true }) as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    const entries = servers.reduce<Record<string, unknown>>(
      (node, key) => node[key] as Record<string, unknown>,
      tree,
    ) as Record<string, { command?: string; args?: string[]; env?: Record<string, string>; url?: string }>;
    for (const entry of Object.values(entries)) {
      if (entry.url) expect(entry).not.toHaveProperty('x-mcp-warden');
    }
    const entry = entries.filesystem;
    expect(entry?.command).toBe(process.execPath);
    expect(entry?.args?.slice(0, 4)).toEqual([WARDEN_ENTRY, 'run', '--profile', PROFILE]);

    // Start exactly what the wrapped config says, like the client would.
    const transport = new StdioClientTransport({
      command: entry?.command ?? '',
      args: entry?.args ?? [],
      env: entry?.env ?? {},
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const client = new Client({ name: 'wrap-e2e', version: '1.0.0' });
    try {
      await client.connect(transport);
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toContain('read_text_file');
      const read = (await client.callTool({
        name: 'read_text_file',
        arguments: { path: path.join(root, 'notes.txt') },
      })) as { content: { text: string }[] };
      expect(read.content[0]?.text, stderr).toBe('hello from the root\n');
      // The policy layer is in front: outside the roots is denied.
      await expect(
        client.callTool({ name: 'read_text_file', arguments: { path: '/etc/hostname' } }),
      ).rejects.toThrow(/mcp-warden/);
    } finally {
      await client.close();
    }

    // Twice changes nothing.
    const again = warden([
      'wrap',
      '--config',
      config,
      '--profile',
      PROFILE,
      '--warden-command',
      WARDEN_COMMAND,
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/unchanged/);
    expect(readFileSync(config, 'utf8')).toBe(wrappedText);

    const unwrap = warden(['unwrap', '--config', config]);
    expect(unwrap.code, unwrap.stderr).toBe(0);
    expect(readFileSync(config, 'utf8')).toBe(original);
  });
});

describe('wrap without --config', () => {
  it('refuses (exit 2) when stdin is not a terminal and --yes is absent; --yes wraps the found files', () => {
    const home = tmpRoot('wrap-auto');
    const config = path.join(home, '.claude.json');
    copyFileSync(path.join(FIXTURES, 'claude-user.claude.json'), config);
    const before = readFileSync(config, 'utf8');
    const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
    const refused = warden(['wrap'], { env, cwd: home });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to wrap without confirmation/);
    expect(refused.stderr).toContain(config);
    expect(readFileSync(config, 'utf8')).toBe(before);
    expect(existsSync(`${config}.mcp-warden.bak`)).toBe(false);

    const yes = warden(['wrap', '--yes', '--json'], { env, cwd: home });
    expect(yes.code, yes.stderr).toBe(0);
    const summary = JSON.parse(yes.stdout) as {
      files: { file: string; changed: boolean; changes: { server: string; action: string }[] }[];
    };
    expect(summary.files).toHaveLength(1);
    expect(summary.files[0]?.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ server: 'filesystem', action: 'wrapped' }),
        expect.objectContaining({ server: '/home/dev/app:everything', action: 'wrapped' }),
        expect.objectContaining({ server: '/home/dev/app:linear', action: 'skipped' }),
      ]),
    );
    expect(readFileSync(config, 'utf8')).toContain('"npx",\n');
    expect(warden(['unwrap', '--yes'], { env, cwd: home }).code).toBe(0);
    expect(readFileSync(config, 'utf8')).toBe(before);
  });
});
