import { describe, expect, it } from 'vitest';
import { type HintContext, networkHintLines } from '../../../src/clients/network-hint.ts';
import type { NetworkNeeds } from '../../../src/clients/network-needs.ts';
import { NETWORK_DEFAULTS } from '../../../src/network/egress-settings.ts';

const GITHUB: NetworkNeeds = {
  reasons: ['known package @modelcontextprotocol/server-github', 'env GITHUB_PERSONAL_ACCESS_TOKEN'],
  known: { package: '@modelcontextprotocol/server-github', registry: 'npm' },
  tableHosts: ['api.github.com'],
  urlHosts: [],
};

const ctx = (over: Partial<HintContext> = {}): HintContext => ({
  file: '/home/u/.config/Claude/claude_desktop_config.json',
  server: 'github',
  allowHosts: [],
  network: false,
  ...over,
});

describe('networkHintLines', () => {
  it('no network yet: says so, gives the reviewed hosts and how to allow them', () => {
    const lines = networkHintLines(GITHUB, ctx());
    expect(lines[0]).toBe(
      'github: probably needs the network (known package @modelcontextprotocol/server-github; env GITHUB_PERSONAL_ACCESS_TOKEN), but under the warden it has none: its requests will fail until you allow the hosts it needs',
    );
    expect(lines[1]).toBe(
      '  the reviewed table (profiles/known-network-servers.json, @modelcontextprotocol/server-github) says it needs: --allow-host api.github.com',
    );
    expect(lines[2]).toContain(
      'to allow: mcp-warden unwrap --config /home/u/.config/Claude/claude_desktop_config.json --server github, then this wrap again with --server github --allow-host api.github.com',
    );
    expect(lines).toHaveLength(3);
  });

  it('hosts given with --allow-host (or by the profile, wildcards included) count as allowed', () => {
    expect(networkHintLines(GITHUB, ctx({ allowHosts: ['api.github.com'] }))).toEqual([
      'github: probably needs the network (known package @modelcontextprotocol/server-github; env GITHUB_PERSONAL_ACCESS_TOKEN); under the warden it reaches only api.github.com',
      '  the reviewed table (profiles/known-network-servers.json, @modelcontextprotocol/server-github) lists api.github.com: all allowed',
    ]);
    const profile = { ...NETWORK_DEFAULTS, allow: ['*.github.com'] };
    expect(networkHintLines(GITHUB, ctx({ network: profile })).join('\n')).toContain(': all allowed');
  });

  it('a host the profile denies, or allows on another port only, is still missing', () => {
    const denied = { ...NETWORK_DEFAULTS, allow: ['*.github.com'], deny: ['api.github.com'] };
    expect(networkHintLines(GITHUB, ctx({ network: denied })).join('\n')).toContain(
      'says it needs: --allow-host api.github.com',
    );
    expect(networkHintLines(GITHUB, ctx({ allowHosts: ['api.github.com:8443'] })).join('\n')).toContain(
      'says it needs: --allow-host api.github.com',
    );
  });

  it('the unfiltered network (network: true): nothing to say here (run warns about it)', () => {
    expect(networkHintLines(GITHUB, ctx({ network: true }))).toEqual([]);
  });

  it('no sign of needing the network: silent, unless --allow-host gave it some anyway', () => {
    expect(networkHintLines(undefined, ctx({ server: 'filesystem' }))).toEqual([]);
    expect(
      networkHintLines(undefined, ctx({ server: 'filesystem', allowHosts: ['api.github.com'] })),
    ).toEqual([
      'filesystem: gets --allow-host api.github.com although nothing in its entry suggests it needs the network; if that was not meant, unwrap it and wrap it again without --allow-host',
    ]);
  });

  it('hosts from the config’s own URLs are marked as not reviewed, and never listed as the table’s', () => {
    const needs: NetworkNeeds = {
      reasons: ['known package @modelcontextprotocol/server-gitlab', 'env GITLAB_API_URL'],
      known: {
        package: '@modelcontextprotocol/server-gitlab',
        registry: 'npm',
        otherHosts: 'a self-hosted GitLab: the host of GITLAB_API_URL instead of gitlab.com',
      },
      tableHosts: ['gitlab.com'],
      urlHosts: [{ host: 'gitlab.example.com:8443', from: 'env GITLAB_API_URL' }],
    };
    const lines = networkHintLines(needs, ctx({ server: 'gitlab' }));
    const table = lines.find((l) => l.includes('says it needs'));
    expect(table).toMatch(/--allow-host gitlab\.com$/);
    expect(lines).toContain(
      '  the reviewed table also says: a self-hosted GitLab: the host of GITLAB_API_URL instead of gitlab.com',
    );
    expect(lines).toContain(
      '  NOT from the reviewed table: env GITLAB_API_URL is a URL on gitlab.example.com:8443; you may need --allow-host gitlab.example.com:8443 (check that you trust that host before allowing it)',
    );
    expect(lines.at(-1)).toContain('--server gitlab --allow-host gitlab.com (or add');
    // Once allowed, the URL host is no longer suggested.
    const allowed = networkHintLines(
      needs,
      ctx({ server: 'gitlab', allowHosts: ['gitlab.example.com:8443'] }),
    );
    expect(allowed.join('\n')).not.toContain('NOT from the reviewed table');
  });

  it('a localhost URL also needs the loopback address allowed', () => {
    const needs: NetworkNeeds = {
      reasons: ['env OLLAMA_URL'],
      tableHosts: [],
      urlHosts: [{ host: 'localhost:11434', from: 'env OLLAMA_URL' }],
    };
    const lines = networkHintLines(needs, ctx({ server: 'ollama' }));
    expect(lines).toContain(
      '  it is not in the reviewed table (profiles/known-network-servers.json): look up the hosts it needs in its documentation',
    );
    expect(lines.join('\n')).toContain(
      '--allow-host localhost:11434 and --allow-host 127.0.0.1:11434 (loopback addresses are refused without an IP entry)',
    );
    expect(lines.at(-1)).toContain('--server ollama --allow-host HOST');
  });

  it('a server with no fixed hosts says what the table says, and how to allow sites', () => {
    const needs: NetworkNeeds = {
      reasons: ['known package mcp-server-fetch'],
      known: {
        package: 'mcp-server-fetch',
        registry: 'pypi',
        otherHosts: 'fetches any URL the model asks for',
      },
      tableHosts: [],
      urlHosts: [],
    };
    const lines = networkHintLines(needs, ctx({ server: 'fetch' }));
    expect(lines[1]).toBe(
      '  the reviewed table (profiles/known-network-servers.json, mcp-server-fetch) lists no fixed hosts: fetches any URL the model asks for',
    );
    expect(lines[2]).toContain('--server fetch --allow-host HOST');
  });

  it('after a dry run there is nothing to unwrap first', () => {
    expect(networkHintLines(GITHUB, ctx({ dryRun: true })).at(-1)).toBe(
      '  to allow: run this wrap with --server github --allow-host api.github.com',
    );
  });

  it('quotes a file and server name for the shell', () => {
    const lines = networkHintLines(
      GITHUB,
      ctx({ file: "/home/u/it's here/.claude.json", server: '/home/u/app:gh hub' }),
    );
    expect(lines.at(-1)).toContain(
      `unwrap --config '/home/u/it'\\''s here/.claude.json' --server '/home/u/app:gh hub'`,
    );
  });
});
