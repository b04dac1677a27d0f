// The reviewed table of servers that need the network (profiles/known-network-servers.json): it loads
// through its zod schema, every host is a pattern `--allow-host` takes (checked with host-pattern.ts
// directly, not only through the schema), and the package → hosts map is pinned as a literal, so adding
// or widening a suggestion is a visible, deliberate diff.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KnownNetworkServersSchema, packageKey } from '../../../src/config/known-servers-schema.ts';
import {
  KNOWN_NETWORK_SERVERS_FILE,
  loadKnownNetworkServers,
} from '../../../src/config/load-known-servers.ts';
import { WardenError } from '../../../src/errors.ts';
import { parseHostPattern } from '../../../src/network/host-pattern.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-known-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const table = loadKnownNetworkServers();

/** Every host suggestion in the table, reviewed: changing one changes this literal. */
const PINNED: Record<string, { hosts: string[]; whenEnv?: Record<string, string[]>; open?: true }> = {
  '@modelcontextprotocol/server-github': { hosts: ['api.github.com'] },
  '@modelcontextprotocol/server-gitlab': { hosts: ['gitlab.com'], open: true },
  '@modelcontextprotocol/server-slack': { hosts: ['slack.com'] },
  '@modelcontextprotocol/server-brave-search': { hosts: ['api.search.brave.com'] },
  '@brave/brave-search-mcp-server': { hosts: ['api.search.brave.com'] },
  '@modelcontextprotocol/server-google-maps': { hosts: ['maps.googleapis.com'] },
  '@modelcontextprotocol/server-gdrive': { hosts: ['www.googleapis.com', 'oauth2.googleapis.com'] },
  '@modelcontextprotocol/server-puppeteer': { hosts: [], open: true },
  '@playwright/mcp': { hosts: [], open: true },
  '@notionhq/notion-mcp-server': { hosts: ['api.notion.com'] },
  '@sentry/mcp-server': {
    hosts: ['sentry.io', 'us.sentry.io', 'de.sentry.io'],
    whenEnv: {
      OPENAI_API_KEY: ['api.openai.com'],
      ANTHROPIC_API_KEY: ['api.anthropic.com'],
      OPENROUTER_API_KEY: ['openrouter.ai'],
    },
    open: true,
  },
  'tavily-mcp': { hosts: ['api.tavily.com'] },
  'exa-mcp-server': { hosts: ['api.exa.ai'] },
  'firecrawl-mcp': { hosts: ['api.firecrawl.dev'], open: true },
  '@stripe/mcp': { hosts: ['mcp.stripe.com'] },
  '@upstash/context7-mcp': { hosts: ['context7.com'] },
  '@supabase/mcp-server-supabase': { hosts: ['api.supabase.com', 'supabase.com'] },
  'linear-mcp-server': { hosts: ['api.linear.app'] },
  'mcp-remote': { hosts: [], open: true },
  'mcp-server-fetch': { hosts: [], open: true },
  'mcp-server-sentry': { hosts: ['sentry.io'], open: true },
  'mcp-atlassian': { hosts: [], open: true },
};

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe('config');
    return (error as Error).message;
  }
  throw new Error('expected a config error');
}

function tableFile(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

const GOOD = {
  package: 'example-mcp',
  registry: 'npm',
  reviewed: '1.0.0',
  hosts: ['api.example.com'],
  source: 'npm package 1.0.0: dist/index.js',
};

describe('the shipped table', () => {
  it('is pinned: package → hosts, conditional hosts, and which entries reach hosts no list can name', () => {
    const actual = Object.fromEntries(
      table.servers.map((s) => [
        s.package,
        {
          hosts: s.hosts,
          ...(s.whenEnv.length > 0
            ? { whenEnv: Object.fromEntries(s.whenEnv.map((w) => [w.env, w.hosts])) }
            : {}),
          ...(s.otherHosts !== undefined ? { open: true } : {}),
        },
      ]),
    );
    expect(actual).toEqual(PINNED);
  });

  it('has only hosts --allow-host takes, each an exact public name without port or wildcard', () => {
    const hosts = table.servers.flatMap((s) => [...s.hosts, ...s.whenEnv.flatMap((w) => w.hosts)]);
    expect(hosts.length).toBeGreaterThan(20);
    for (const host of hosts) {
      const parsed = parseHostPattern(host);
      if (!parsed.ok) throw new Error(`${host}: ${parsed.error}`);
      expect(parsed.pattern, host).toMatchObject({ kind: 'name', subdomains: false, ports: [80, 443] });
      expect(parsed.pattern.kind === 'name' && parsed.pattern.name, host).toBe(host);
    }
  });

  it('says where every entry comes from, at the version reviewed; an entry without hosts says what it reaches', () => {
    for (const s of table.servers) {
      expect(s.source.length, s.package).toBeGreaterThan(20);
      if (s.registry === 'npm' && /^\d/.test(s.reviewed)) expect(s.source, s.package).toContain(s.reviewed);
      if (s.hosts.length === 0) expect(s.otherHosts, s.package).toBeDefined();
    }
  });

  it('names each package (and alias) once, so a server matches one entry', () => {
    const keys = table.servers.flatMap((s) => [s.package, ...s.aliases].map(packageKey));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('is the file in profiles/, shipped with the package', () => {
    expect(KNOWN_NETWORK_SERVERS_FILE).toMatch(/profiles\/known-network-servers\.json$/);
    const pkg = JSON.parse(
      readFileSync(path.resolve(KNOWN_NETWORK_SERVERS_FILE, '../../package.json'), 'utf8'),
    );
    expect(pkg.files).toContain('profiles');
  });
});

describe('the schema', () => {
  it('accepts a minimal entry and fills defaults', () => {
    const parsed = KnownNetworkServersSchema.parse({ servers: [GOOD] });
    expect(parsed.servers[0]).toMatchObject({ aliases: [], whenEnv: [] });
  });

  it.each([
    ['*', /would allow every host/],
    ['*.com', /public suffix/],
    ['https://api.example.com', /no scheme/],
    ['api.example.com/v1', /no path/],
    ['api.example.com:70000', /out of range/],
  ])('refuses the host %s with the reason and the entry it is in', (host, reason) => {
    const message = configError(() =>
      loadKnownNetworkServers(tableFile('bad-host.json', { servers: [{ ...GOOD, hosts: [host] }] })),
    );
    expect(message).toContain('servers[0].hosts[0]');
    expect(message).toMatch(reason);
  });

  it('refuses a bad whenEnv host, an unknown key, a duplicate package, and an entry with no hosts and no word why', () => {
    expect(
      configError(() =>
        loadKnownNetworkServers(
          tableFile('bad-env.json', {
            servers: [{ ...GOOD, whenEnv: [{ env: 'X_KEY', hosts: ['*'], why: 'x' }] }],
          }),
        ),
      ),
    ).toContain('servers[0].whenEnv[0].hosts[0]');
    expect(
      configError(() =>
        loadKnownNetworkServers(
          tableFile('bad-key.json', { servers: [{ ...GOOD, host: ['x.example.com'] }] }),
        ),
      ),
    ).toMatch(/servers\[0\].*host/);
    expect(
      configError(() =>
        loadKnownNetworkServers(
          tableFile('dup.json', { servers: [GOOD, { ...GOOD, package: 'Example_MCP' }] }),
        ),
      ),
    ).toMatch(/servers\[1\]: "Example_MCP" is already named by servers\[0\]/);
    expect(
      configError(() =>
        loadKnownNetworkServers(tableFile('open.json', { servers: [{ ...GOOD, hosts: [] }] })),
      ),
    ).toContain('servers[0].otherHosts: an entry without hosts must say');
  });

  it('names the file when it is missing or not JSON', () => {
    expect(configError(() => loadKnownNetworkServers(path.join(dir, 'none.json')))).toMatch(
      /cannot read the table of known servers .*none\.json/,
    );
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"servers": [');
    expect(configError(() => loadKnownNetworkServers(broken))).toMatch(/broken\.json is not valid JSON/);
  });
});
