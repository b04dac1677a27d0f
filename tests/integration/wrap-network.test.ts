// wrap and the network (issue 16): a real Claude Desktop config wrapped with --allow-host. A bad pattern
// is refused exactly as run refuses it (exit 2, nothing written); --allow-host without --server is
// refused when it would reach more than one server; with --server the value lands in that server's
// `run` argv and nowhere else; wrap says on stderr which servers look like they need the network,
// suggesting only the reviewed table's hosts (a URL in the config is shown as not reviewed) and applying
// none. The wrapped fetch server is then started exactly as the client starts it: it reaches the
// allowed loopback origin through the warden's proxy and is refused another. unwrap restores the bytes.
// Loopback only: the origins listen on 127.0.0.1, and the table's hosts are only written, never dialled.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT, WARDEN_ENTRY } from '../helpers/warden.ts';
import { type CountingServer, httpServer } from './network/loopback-servers.ts';

const FETCH_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/fetch-server.mjs');
const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';

interface Entry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

function warden(args: string[], home: string) {
  const out = spawnSync(process.execPath, [WARDEN_ENTRY, ...args], {
    encoding: 'utf8',
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') },
    cwd: home,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** The stderr block wrap printed about one server (its first line and the indented ones after it). */
function hintFor(stderr: string, server: string): string {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`mcp-warden: ${server}: `));
  if (start < 0) return '';
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('  '));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

function text(result: unknown): string {
  return ((result as { content?: { text?: string }[] }).content ?? []).map((c) => c.text ?? '').join('\n');
}

describe(`wrap --allow-host on a Claude Desktop config (profile ${PROFILE})`, () => {
  let allowed: CountingServer;
  let other: CountingServer;
  let home: string;
  let config: string;
  let original: string;

  beforeAll(async () => {
    allowed = await httpServer();
    other = await httpServer();
    home = tmpRoot('wrap-net-home');
    config = path.join(home, '.config/Claude/claude_desktop_config.json');
    mkdirSync(path.dirname(config), { recursive: true });
    original = `${JSON.stringify(
      {
        mcpServers: {
          api: {
            command: 'node',
            args: [FETCH_SERVER],
            env: { API_URL: `http://127.0.0.1:${allowed.port}/` },
          },
          github: {
            command: 'npx',
            args: ['-y', '@modelcontextprotocol/server-github'],
            env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_not_a_real_token' },
          },
          memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
        },
      },
      null,
      2,
    )}\n`;
    writeFileSync(config, original);
  });

  afterAll(async () => {
    await allowed?.close();
    await other?.close();
  });

  const entries = (): Record<string, Entry> =>
    (JSON.parse(readFileSync(config, 'utf8')) as { mcpServers: Record<string, Entry> }).mcpServers;

  it('refuses a bad pattern exactly as run does (exit 2), writing nothing', () => {
    const bad = 'https://127.0.0.1/x';
    const wrap = warden(
      ['wrap', '--config', config, '--profile', PROFILE, '--server', 'api', '--allow-host', bad],
      home,
    );
    const run = warden(['run', '--profile', PROFILE, '--allow-host', bad, '--', 'node', FETCH_SERVER], home);
    expect(wrap.code).toBe(2);
    expect(run.code).toBe(2);
    expect(wrap.stderr).toBe(run.stderr);
    expect(wrap.stderr).toContain('--allow-host "https://127.0.0.1/x": a host pattern has no scheme');
    expect(readFileSync(config, 'utf8')).toBe(original);
    expect(existsSync(`${config}.mcp-warden.bak`)).toBe(false);
    expect(warden(['wrap', '--config', config, '--allow-host', '*'], home).code).toBe(2);
    expect(warden(['wrap', '--config', config, '--allow-host', 'api.example.com:0'], home).code).toBe(2);
    expect(readFileSync(config, 'utf8')).toBe(original);
  });

  it('refuses --allow-host without --server when it would reach more than one server', () => {
    const wrap = warden(
      ['wrap', '--config', config, '--profile', PROFILE, '--allow-host', `127.0.0.1:${allowed.port}`],
      home,
    );
    expect(wrap.code).toBe(2);
    expect(wrap.stderr).toContain(
      '--allow-host without --server would let every server wrapped now reach those hosts (api, github, memory); nothing was written',
    );
    expect(readFileSync(config, 'utf8')).toBe(original);
  });

  it('writes --allow-host into the selected server only, suggests the reviewed hosts for the others, applies none', () => {
    const first = warden(
      [
        'wrap',
        '--config',
        config,
        '--profile',
        PROFILE,
        '--server',
        'api',
        '--allow-host',
        `127.0.0.1:${allowed.port}`,
      ],
      home,
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(
      `api: wrapped — no roots: the server sees no host directory (use --root); network: --allow-host 127.0.0.1:${allowed.port} (through the warden's proxy)`,
    );
    expect(entries().api).toEqual({
      command: process.execPath,
      args: [
        WARDEN_ENTRY,
        'run',
        '--profile',
        PROFILE,
        '--env',
        'API_URL',
        '--allow-host',
        `127.0.0.1:${allowed.port}`,
        '--',
        'node',
        FETCH_SERVER,
      ],
      env: { API_URL: `http://127.0.0.1:${allowed.port}/` },
      'x-mcp-warden': expect.any(Object),
    });
    // The URL in its env is on the allowed host: nothing more to suggest.
    expect(hintFor(first.stderr, 'api')).toBe(
      `mcp-warden: api: probably needs the network (env API_URL); under the warden it reaches only 127.0.0.1:${allowed.port}\n  it is not in the reviewed table (profiles/known-network-servers.json): look up the hosts it needs in its documentation`,
    );

    const rest = warden(['wrap', '--config', config, '--profile', PROFILE], home);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toMatch(/api: already-wrapped/);
    const github = hintFor(rest.stderr, 'github');
    expect(github).toContain(
      'github: probably needs the network (known package @modelcontextprotocol/server-github; env GITHUB_PERSONAL_ACCESS_TOKEN), but under the warden it has none',
    );
    expect(github).toContain(
      'the reviewed table (profiles/known-network-servers.json, @modelcontextprotocol/server-github) says it needs: --allow-host api.github.com',
    );
    expect(github).toContain(
      `to allow: mcp-warden unwrap --config ${config} --server github, then this wrap again with --server github --allow-host api.github.com`,
    );
    expect(rest.stderr).not.toContain('ghp_not_a_real_token');
    expect(hintFor(rest.stderr, 'memory')).toBe('');
    // Suggested, never applied: no entry got a host nobody asked for.
    const after = entries();
    expect(after.github?.args).not.toContain('--allow-host');
    expect(after.memory?.args).not.toContain('--allow-host');
    expect(after.github?.args.slice(0, 6)).toEqual([
      WARDEN_ENTRY,
      'run',
      '--profile',
      PROFILE,
      '--env',
      'GITHUB_PERSONAL_ACCESS_TOKEN',
    ]);
  });

  it('the wrapped entry, started as the client starts it, reaches the allowed origin and no other', async () => {
    const entry = entries().api;
    if (!entry) throw new Error('api was not wrapped');
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      env: { ...entry.env, PATH: process.env.PATH ?? '', HOME: home },
      cwd: home,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const client = new Client({ name: 'wrap-network', version: '1.0.0' });
    await client.connect(transport);
    try {
      const ok = text(
        await client.callTool({
          name: 'fetch_url',
          arguments: { url: `http://127.0.0.1:${allowed.port}/hello` },
        }),
      );
      expect(ok, stderr).toBe(`200 hello from 127.0.0.1:${allowed.port}/hello`);
      expect(allowed.hits()).toBe(1);
      const refused = text(
        await client.callTool({ name: 'fetch_url', arguments: { url: `http://127.0.0.1:${other.port}/` } }),
      );
      expect(refused, stderr).toMatch(/^403 /);
      expect(refused).toContain(`--allow-host 127.0.0.1:${other.port}`);
      expect(other.hits()).toBe(0);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('unwrap restores the original bytes, --allow-host and all', () => {
    expect(warden(['unwrap', '--config', config, '--allow-host', 'x.example.com'], home).code).toBe(2);
    const unwrap = warden(['unwrap', '--config', config], home);
    expect(unwrap.code, unwrap.stderr).toBe(0);
    expect(readFileSync(config, 'utf8')).toBe(original);
  });
});
