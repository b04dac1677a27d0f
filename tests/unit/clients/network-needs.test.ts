import { describe, expect, it } from 'vitest';
import { detectNetworkNeeds, findKnownServer, urlHost } from '../../../src/clients/network-needs.ts';
import type { ServerLaunch } from '../../../src/clients/warden-entry.ts';
import { loadKnownNetworkServers } from '../../../src/config/load-known-servers.ts';

const table = loadKnownNetworkServers();

function launch(command: string, args: string[] = [], env: Record<string, string> = {}): ServerLaunch {
  return { command, args, envNames: Object.keys(env), env };
}

const known = (command: string, args: string[] = []) => findKnownServer({ command, args }, table)?.package;

describe('findKnownServer: the package a command line runs', () => {
  it.each([
    ['npx', ['-y', '@modelcontextprotocol/server-github'], '@modelcontextprotocol/server-github'],
    ['npx', ['-y', '@modelcontextprotocol/server-github@2025.4.8'], '@modelcontextprotocol/server-github'],
    ['npx', ['--yes', 'tavily-mcp@latest'], 'tavily-mcp'],
    ['npx.cmd', ['-y', '@notionhq/notion-mcp-server'], '@notionhq/notion-mcp-server'],
    ['bunx', ['exa-mcp-server'], 'exa-mcp-server'],
    ['pnpm', ['dlx', 'firecrawl-mcp'], 'firecrawl-mcp'],
    ['uvx', ['mcp-server-fetch'], 'mcp-server-fetch'],
    ['uvx', ['mcp-server-fetch==2025.4.7'], 'mcp-server-fetch'],
    ['uvx', ['--from', 'mcp-atlassian[all]>=0.11', 'mcp-atlassian'], 'mcp-atlassian'],
    ['pipx', ['run', 'mcp-server-sentry'], 'mcp-server-sentry'],
    ['python3', ['-m', 'mcp_server_fetch'], 'mcp-server-fetch'],
    ['/home/u/.venv/bin/mcp-server-fetch', [], 'mcp-server-fetch'],
    ['mcp-server-github', [], '@modelcontextprotocol/server-github'],
    ['C:\\Users\\u\\AppData\\Roaming\\npm\\mcp-server-slack.cmd', [], '@modelcontextprotocol/server-slack'],
    [
      'node',
      ['/opt/lib/node_modules/@modelcontextprotocol/server-google-maps/dist/index.js'],
      '@modelcontextprotocol/server-google-maps',
    ],
    ['node', ['/srv/app/node_modules/linear-mcp-server/build/index.js'], 'linear-mcp-server'],
    ['npx', ['-y', 'mcp-remote', 'https://mcp.linear.app/sse'], 'mcp-remote'],
  ])('%s %j → %s', (command, args, pkg) => {
    expect(known(command, args)).toBe(pkg);
  });

  it('does not match a name that only contains a known one, nor servers that need no network', () => {
    expect(known('npx', ['-y', 'my-mcp-server-github-fork'])).toBeUndefined();
    expect(known('npx', ['-y', '@modelcontextprotocol/server-filesystem', '/data'])).toBeUndefined();
    expect(known('node', ['/opt/node_modules/@evil/server-github/index.js'])).toBeUndefined();
    expect(known('uvx', ['mcp-server-git'])).toBeUndefined();
  });
});

describe('detectNetworkNeeds', () => {
  it('a known package: its reviewed hosts and the credential env name (never the value)', () => {
    const needs = detectNetworkNeeds(
      launch('npx', ['-y', '@modelcontextprotocol/server-github'], { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_x' }),
      table,
    );
    expect(needs).toEqual({
      reasons: ['known package @modelcontextprotocol/server-github', 'env GITHUB_PERSONAL_ACCESS_TOKEN'],
      known: { package: '@modelcontextprotocol/server-github', registry: 'npm' },
      tableHosts: ['api.github.com'],
      urlHosts: [],
    });
    expect(JSON.stringify(needs)).not.toContain('ghp_x');
  });

  it('adds conditional hosts only when their variable is set', () => {
    const without = detectNetworkNeeds(launch('npx', ['-y', '@sentry/mcp-server']), table);
    expect(without?.tableHosts).toEqual(['sentry.io', 'us.sentry.io', 'de.sentry.io']);
    const withKey = detectNetworkNeeds(launch('npx', ['@sentry/mcp-server'], { OPENAI_API_KEY: 'k' }), table);
    expect(withKey?.tableHosts).toEqual(['sentry.io', 'us.sentry.io', 'de.sentry.io', 'api.openai.com']);
  });

  it('a package that reaches hosts no list names: no hosts, and what the table says instead', () => {
    const needs = detectNetworkNeeds(launch('uvx', ['mcp-server-fetch']), table);
    expect(needs?.tableHosts).toEqual([]);
    expect(needs?.known?.otherHosts).toMatch(/any URL/);
  });

  it.each([
    ['OPENAI_API_KEY'],
    ['API_KEY'],
    ['SERPER_APIKEY'],
    ['SLACK_BOT_TOKEN'],
    ['CLIENT_SECRET'],
    ['ELASTIC_URL'],
  ])('an unknown server with env %s is flagged by name', (name) => {
    const needs = detectNetworkNeeds(launch('node', ['/srv/server.js'], { [name]: 'value' }), table);
    expect(needs?.reasons).toEqual([`env ${name}`]);
    expect(needs?.known).toBeUndefined();
    expect(needs?.tableHosts).toEqual([]);
  });

  it('no sign at all: a filesystem server, a memory file, ordinary env names', () => {
    expect(
      detectNetworkNeeds(launch('npx', ['-y', '@modelcontextprotocol/server-filesystem', '/data']), table),
    ).toBeUndefined();
    expect(
      detectNetworkNeeds(
        launch('npx', ['-y', '@modelcontextprotocol/server-memory'], {
          MEMORY_FILE_PATH: '/home/u/m.json',
          DEBUG: '1',
          TOKENIZER_PATH: '/x',
          URL_STYLE: 'short',
        }),
        table,
      ),
    ).toBeUndefined();
  });

  it('URL values in env and arguments give their host, marked with where it came from, never the value', () => {
    const needs = detectNetworkNeeds(
      launch(
        'npx',
        ['-y', '@modelcontextprotocol/server-gitlab', '--base=https://docs.example.org/x?key=s3cret'],
        {
          GITLAB_PERSONAL_ACCESS_TOKEN: 'glpat',
          GITLAB_API_URL: 'https://bot:hunter2@gitlab.example.com:8443/api/v4',
          ENDPOINT: 'http://10.0.0.5:9200/',
        },
      ),
      table,
    );
    expect(needs?.tableHosts).toEqual(['gitlab.com']);
    expect(needs?.urlHosts).toEqual([
      { host: 'gitlab.example.com:8443', from: 'env GITLAB_API_URL' },
      { host: '10.0.0.5:9200', from: 'env ENDPOINT' },
      { host: 'docs.example.org', from: 'argument 3' },
    ]);
    expect(needs?.reasons).toEqual([
      'known package @modelcontextprotocol/server-gitlab',
      'env GITLAB_PERSONAL_ACCESS_TOKEN, GITLAB_API_URL',
      'a URL in its arguments',
      'a URL in env ENDPOINT',
    ]);
    const text = JSON.stringify(needs);
    for (const secret of ['hunter2', 'bot', 's3cret', 'glpat', '/api/v4']) expect(text).not.toContain(secret);
  });

  it('mcp-remote: the remote server in its argument, not from the table', () => {
    const needs = detectNetworkNeeds(
      launch('npx', ['-y', 'mcp-remote', 'https://mcp.linear.app/sse']),
      table,
    );
    expect(needs?.tableHosts).toEqual([]);
    expect(needs?.urlHosts).toEqual([{ host: 'mcp.linear.app', from: 'argument 3' }]);
  });
});

describe('urlHost', () => {
  it.each([
    ['https://api.example.com/v1', 'api.example.com'],
    ['HTTPS://API.Example.COM', 'api.example.com'],
    ['https://api.example.com:443/', 'api.example.com'],
    ['http://api.example.com:80/', 'api.example.com'],
    ['http://localhost:11434', 'localhost:11434'],
    ['http://[::1]:8080/', '[::1]:8080'],
    ['https://user:pass@host.example:8443/p?q=1#f', 'host.example:8443'],
    ['  https://padded.example  ', 'padded.example'],
  ])('%s → %s', (value, host) => {
    expect(urlHost(value)).toBe(host);
  });

  it.each([
    ['ftp://files.example.com'],
    ['postgres://db.example.com:5432/app'],
    ['api.example.com'],
    ['https://${env:HOST}/x'],
    ['${GITLAB_URL}'],
    ['https://'],
    ['not a url'],
  ])('%s → nothing', (value) => {
    expect(urlHost(value)).toBeUndefined();
  });
});
