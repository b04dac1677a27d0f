// wrap → the real SDK client starts exactly what the wrapped config says and uses server-filesystem
// through the local warden → wrap again changes nothing → unwrap gives back the original bytes. Every
// supported client format, with the default warden command (the absolute path of this warden, issue 15
// item 5); server-memory whose MEMORY_FILE_PATH lies outside every argument keeps its data (item 2).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { parse } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT, WARDEN_ENTRY } from '../helpers/warden.ts';

const FS_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);
const MEMORY_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-memory/dist/index.js',
);
const FIXTURES = path.join(PROJECT_ROOT, 'tests/fixtures/clients');
const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';

interface Launch {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  url?: string;
}

/** The servers of a config as the client reads them, normalised to command/args/env, parsed independently of src/. */
function serversOf(text: string, syntax: string, servers: readonly string[]): Record<string, Launch> {
  if (syntax === 'toml')
    return (parseToml(text) as unknown as { mcp_servers: Record<string, Launch> }).mcp_servers;
  if (syntax === 'yaml') {
    const extensions = (parseYaml(text) as { extensions: Record<string, Record<string, unknown>> })
      .extensions;
    return Object.fromEntries(
      Object.entries(extensions).map(([name, e]) => [
        name,
        { command: e.cmd as string, args: e.args as string[], env: (e.envs ?? {}) as Record<string, string> },
      ]),
    );
  }
  const tree = parse(text, [], { allowTrailingComma: true }) as Record<string, unknown>;
  const map = servers.reduce<Record<string, unknown>>(
    (node, key) => node[key] as Record<string, unknown>,
    tree,
  );
  return Object.fromEntries(
    Object.entries(map as Record<string, Launch & { command?: unknown }>).map(([name, entry]) => {
      const command = entry.command as unknown;
      // Zed's older form: {"command": {"path", "args", "env"}}.
      if (command && typeof command === 'object') {
        const inner = command as { path: string; args: string[]; env?: Record<string, string> };
        return [name, { command: inner.path, args: inner.args, env: inner.env ?? {} }];
      }
      return [name, entry];
    }),
  );
}

/** Fixture → where the client keeps it (relative to a fake home), its syntax and where its servers live. */
const CASES = [
  {
    fixture: 'claude_desktop_config.json',
    file: '.config/Claude/claude_desktop_config.json',
    syntax: 'json',
    servers: ['mcpServers'],
  },
  { fixture: 'claude-code.mcp.json', file: 'project/.mcp.json', syntax: 'json', servers: ['mcpServers'] },
  { fixture: 'claude-user.claude.json', file: '.claude.json', syntax: 'json', servers: ['mcpServers'] },
  { fixture: 'cursor.mcp.json', file: '.cursor/mcp.json', syntax: 'json', servers: ['mcpServers'] },
  { fixture: 'vscode.mcp.json', file: 'project/.vscode/mcp.json', syntax: 'json', servers: ['servers'] },
  {
    fixture: 'windsurf.mcp_config.json',
    file: '.codeium/windsurf/mcp_config.json',
    syntax: 'json',
    servers: ['mcpServers'],
  },
  { fixture: 'gemini.settings.json', file: '.gemini/settings.json', syntax: 'json', servers: ['mcpServers'] },
  {
    fixture: 'cline_mcp_settings.json',
    file: '.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json',
    syntax: 'json',
    servers: ['mcpServers'],
  },
  {
    fixture: 'zed.settings.json',
    file: '.config/zed/settings.json',
    syntax: 'json',
    servers: ['context_servers'],
  },
  { fixture: 'codex.config.toml', file: '.codex/config.toml', syntax: 'toml', servers: [] },
  { fixture: 'goose.config.yaml', file: '.config/goose/config.yaml', syntax: 'yaml', servers: [] },
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

/** Start exactly what a wrapped entry says, like the client would, and connect the SDK client. */
async function connect(entry: Launch | undefined): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: entry?.command ?? '',
    args: entry?.args ?? [],
    env: entry?.env ?? {},
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'wrap-e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

describe.each(CASES)(
  'wrap/unwrap $fixture (profile ' + PROFILE + ')',
  ({ fixture, file, syntax, servers }) => {
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

      // No --warden-command: the entry must start this very warden by absolute path (never npx).
      const wrap = warden(['wrap', '--config', config, '--profile', PROFILE]);
      expect(wrap.code, wrap.stderr).toBe(0);
      expect(wrap.stdout).toMatch(/filesystem: wrapped roots: /);
      expect(readFileSync(`${config}.mcp-warden.bak`, 'utf8')).toBe(original);
      const wrappedText = readFileSync(config, 'utf8');
      expect(wrappedText).not.toBe(original);

      const entries = serversOf(wrappedText, syntax, servers);
      for (const entry of Object.values(entries)) {
        if (entry.url) expect(entry).not.toHaveProperty('x-mcp-warden');
      }
      const entry = entries.filesystem;
      expect(entry?.command).toBe(process.execPath);
      expect(entry?.args?.slice(0, 4)).toEqual([WARDEN_ENTRY, 'run', '--profile', PROFILE]);
      expect(wrappedText).not.toMatch(/npx", "-y", "mcp-warden|npx -y mcp-warden/);

      // Start exactly what the wrapped config says, like the client would.
      const { client, stderr } = await connect(entry);
      try {
        const tools = await client.listTools();
        expect(tools.tools.map((t) => t.name)).toContain('read_text_file');
        const read = (await client.callTool({
          name: 'read_text_file',
          arguments: { path: path.join(root, 'notes.txt') },
        })) as { content: { text: string }[] };
        expect(read.content[0]?.text, stderr()).toBe('hello from the root\n');
        // The policy layer is in front: outside the roots is denied.
        await expect(
          client.callTool({ name: 'read_text_file', arguments: { path: '/etc/hostname' } }),
        ).rejects.toThrow(/mcp-warden/);
      } finally {
        await client.close();
      }

      // Twice changes nothing.
      const again = warden(['wrap', '--config', config, '--profile', PROFILE]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/unchanged/);
      expect(readFileSync(config, 'utf8')).toBe(wrappedText);

      const unwrap = warden(['unwrap', '--config', config]);
      expect(unwrap.code, unwrap.stderr).toBe(0);
      expect(readFileSync(config, 'utf8')).toBe(original);
    });
  },
);

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
    expect(readFileSync(config, 'utf8')).toContain(`"command": ${JSON.stringify(process.execPath)}`);
    expect(warden(['unwrap', '--yes'], { env, cwd: home }).code).toBe(0);
    expect(readFileSync(config, 'utf8')).toBe(before);
  });
});

describe(`server-memory with MEMORY_FILE_PATH outside its arguments (profile ${PROFILE})`, () => {
  it("wrap makes the file's directory a rw root, and the memory survives two sessions", async () => {
    const home = tmpRoot('wrap-memory-home');
    const share = path.join(home, '.local/share');
    mkdirSync(share, { recursive: true });
    const memoryFile = path.join(share, 'claude-memory.json');
    const config = path.join(home, '.config/Claude/claude_desktop_config.json');
    mkdirSync(path.dirname(config), { recursive: true });
    writeFileSync(
      config,
      JSON.stringify(
        {
          mcpServers: {
            memory: { command: 'node', args: [MEMORY_SERVER], env: { MEMORY_FILE_PATH: memoryFile } },
          },
        },
        null,
        2,
      ),
    );
    const wrap = warden(['wrap', '--config', config, '--profile', PROFILE]);
    expect(wrap.code, wrap.stderr).toBe(0);
    expect(wrap.stdout).toContain(`memory: wrapped roots: ${share}`);
    expect(wrap.stdout).toMatch(/MEMORY_FILE_PATH: .* made a read-write root/);
    const entry = serversOf(readFileSync(config, 'utf8'), 'json', ['mcpServers']).memory;
    // The client sets env on the warden's process; node must be found on the client's PATH.
    const launch = { ...entry, env: { ...entry?.env, PATH: process.env.PATH ?? '' } };

    const first = await connect(launch);
    try {
      await first.client.callTool({
        name: 'create_entities',
        arguments: {
          entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }],
        },
      });
    } finally {
      await first.client.close();
    }
    expect(existsSync(memoryFile)).toBe(true);
    expect(readFileSync(memoryFile, 'utf8')).toContain('Ada');

    const second = await connect(launch);
    try {
      const graph = (await second.client.callTool({ name: 'read_graph', arguments: {} })) as {
        content: { text: string }[];
      };
      expect(graph.content[0]?.text, second.stderr()).toContain('wrote the first program');
    } finally {
      await second.client.close();
    }
  });
});
