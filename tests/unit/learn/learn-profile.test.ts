import { describe, expect, it } from 'vitest';
import { ProfileSchema } from '../../../src/config/profile-schema.ts';
import { learnProfile, type LearnBase } from '../../../src/learn/learn-profile.ts';
import type { LearnEvent, RequestObservation } from '../../../src/learn/observations.ts';
import { parseHostPattern } from '../../../src/network/host-pattern.ts';

const base = (over: Partial<LearnBase> = {}): LearnBase => ({
  profile: ProfileSchema.parse({ name: 'bwrap', backend: 'bwrap', limits: { tmpfsMb: 256 } }),
  backend: 'bwrap',
  roots: [{ path: '/data', realPath: '/data', readOnly: false }],
  env: [],
  name: 'learned',
  command: ['node', 'server.js'],
  learnNetwork: false,
  ...over,
});

const call = (
  tool: string,
  paths: Array<[real: string, dir: string]>,
  over: Partial<RequestObservation> = {},
): RequestObservation => ({
  event: 'learn.request',
  method: 'tools/call',
  tool,
  verdict: 'allow',
  writes: /^(write|create|delete)_/.test(tool),
  paths: paths.map(([real, dir]) => ({ at: 'arguments.path', real, dir })),
  ...over,
});

const connection = (
  host: string,
  port: number,
  verdict: 'allow' | 'deny',
  over: object = {},
): LearnEvent => ({
  event: 'network.connection',
  protocol: 'connect',
  host,
  port,
  address: '93.184.216.34',
  verdict,
  bytesOut: 10,
  bytesIn: 20,
  durationMs: 5,
  ...(verdict === 'deny'
    ? { rule: 'network.host-not-allowed', reason: `${host}:${port} is not in the network allowlist` }
    : {}),
  ...over,
});

describe('learnProfile', () => {
  it('grants exactly the tools called and the directories they named, :ro unless a writing tool used them', () => {
    const { profile, report } = learnProfile(
      [
        call('read_file', [['/data/docs/a.txt', '/data/docs']]),
        call('read_file', [['/data/docs/b.txt', '/data/docs']]),
        call('write_file', [['/data/out/r.txt', '/data/out']]),
        call('list_allowed_directories', []),
      ],
      base(),
    );
    expect(ProfileSchema.safeParse(profile).success).toBe(true);
    expect(profile).toMatchObject({
      name: 'learned',
      backend: 'bwrap',
      roots: ['/data/docs:ro', '/data/out'],
      network: false,
      limits: { tmpfsMb: 256 },
      policy: { tools: { allow: ['list_allowed_directories', 'read_file', 'write_file'] } },
    });
    // Defaults stay implicit: only what differs from them is written.
    expect(Object.keys(profile.policy as object)).toEqual(['tools']);
    const because = (setting: string, value: string) =>
      report.granted.find((e) => e.setting === setting && e.value === value)?.because;
    expect(because('roots', '/data/docs:ro')).toEqual([
      'read_file: /data/docs/a.txt',
      'read_file: /data/docs/b.txt',
    ]);
    expect(because('roots', '/data/out')).toEqual(['write_file (writes): /data/out/r.txt']);
    expect(because('policy.tools.allow', 'read_file')).toEqual([
      'called 2 times',
      'read_file /data/docs/a.txt',
      'read_file /data/docs/b.txt',
    ]);
    expect(because('policy.tools.allow', 'list_allowed_directories')).toEqual([
      'called 1 time',
      'list_allowed_directories (no path)',
    ]);
  });

  it('grants nothing for denied calls and reports them as "would need"', () => {
    const { profile, report } = learnProfile(
      [
        call('read_file', [['/etc/passwd', '/etc']], {
          verdict: 'deny',
          rule: 'path.outside-root',
          reason: 'outside',
        }),
        call('write_file', [['/data/ro/x', '/data/ro']], {
          verdict: 'deny',
          rule: 'path.read-only',
          reason: 'ro',
        }),
        call('exec', [], { verdict: 'deny', rule: 'tool.not-allowed', reason: 'not allowed' }),
      ],
      base({ roots: [{ path: '/data', realPath: '/data', readOnly: true }] }),
    );
    expect(profile).toMatchObject({ roots: [], policy: { tools: { allow: [] } } });
    expect(report.wouldNeed).toEqual([
      { setting: 'roots', value: '/etc', because: ['read_file: /etc/passwd (denied: path.outside-root)'] },
      {
        setting: 'roots',
        value: '/data/ro (read-write)',
        because: ['write_file (writes): /data/ro/x (denied: path.read-only)'],
      },
      {
        setting: 'policy.tools.allow',
        value: 'exec',
        because: ['exec (denied: tool.not-allowed)'],
      },
    ]);
  });

  it('allows exactly the host:port pairs carried; refused ones are "would need"; none carried means network false', () => {
    const settings = {
      allow: [],
      deny: ['bad.example.com'],
      allowPrivate: true,
      maxConnections: 8,
      onDeny: 'deny' as const,
      resolve: { 'api.example.test': '127.0.0.1', 'x.example.test': '127.0.0.1' },
    };
    const { profile, report } = learnProfile(
      [
        connection('API.example.test', 8443, 'allow', { address: '127.0.0.1' }),
        connection('api.example.test', 8443, 'allow', { address: '127.0.0.1' }),
        connection('cdn.example.com', 443, 'allow'),
        connection('other.example.com', 443, 'deny'),
        connection('::1', 80, 'allow', { address: '::1' }),
      ],
      base({
        profile: ProfileSchema.parse({ name: 'n', backend: 'bwrap', network: settings }),
        learnNetwork: true,
      }),
    );
    const network = profile.network as {
      allow: string[];
      resolve: object;
      allowPrivate: boolean;
      deny: string[];
      maxConnections: number;
    };
    expect(network.allow).toEqual(['[::1]:80', 'api.example.test:8443', 'cdn.example.com:443']);
    for (const entry of network.allow) expect(parseHostPattern(entry).ok).toBe(true);
    expect(network).toMatchObject({
      resolve: { 'api.example.test': '127.0.0.1' },
      allowPrivate: true,
      deny: ['bad.example.com'],
      maxConnections: 8,
    });
    expect(ProfileSchema.safeParse(profile).success).toBe(true);
    expect(report.granted.find((e) => e.value === 'api.example.test:8443')?.because).toEqual([
      '2 connections (CONNECT; allow; 20 bytes out, 40 in)',
    ]);
    expect(report.wouldNeed).toEqual([
      {
        setting: 'network.allow',
        value: 'other.example.com:443',
        because: [
          'CONNECT other.example.com:443 (refused: network.host-not-allowed: other.example.com:443 is not in the network allowlist)',
        ],
      },
    ]);

    const quiet = learnProfile([], base({ learnNetwork: true }));
    expect(quiet.profile.network).toBe(false);
  });

  it('keeps allowPrivate only when a carried host needed it', () => {
    const settings = { allowPrivate: true, resolve: {} };
    const { profile } = learnProfile(
      [connection('cdn.example.com', 443, 'allow')],
      base({ profile: ProfileSchema.parse({ name: 'n', backend: 'bwrap', network: settings }) }),
    );
    expect((profile.network as { allowPrivate: boolean }).allowPrivate).toBe(false);
  });

  it('lists the env names given, and the directories the configuration names (rw when written)', () => {
    const { profile, report } = learnProfile(
      [
        {
          event: 'learn.config-path',
          source: 'env MEMORY_FILE_PATH',
          real: '/data/state/m.jsonl',
          dir: '/data/state',
          written: true,
        },
        {
          event: 'learn.config-path',
          source: 'argument 2',
          real: '/data/conf/c.json',
          dir: '/data/conf',
          written: false,
        },
      ],
      base({ env: ['TOKEN', 'MEMORY_FILE_PATH', 'TOKEN'] }),
    );
    expect(profile).toMatchObject({
      env: ['MEMORY_FILE_PATH', 'TOKEN'],
      roots: ['/data/conf:ro', '/data/state'],
    });
    expect(report.granted.find((e) => e.value === '/data/state')?.because).toEqual([
      'env MEMORY_FILE_PATH names /data/state/m.jsonl (written during the session)',
    ]);
  });

  it('sets limits from peaks with the stated margin, only where the backend enforces them', () => {
    const peak: LearnEvent = {
      event: 'learn.peak',
      memoryBytes: 70 * 1024 * 1024,
      processes: 11,
      how: 'test',
    };
    const enforced = learnProfile([peak], base({ enforced: { memoryMb: true, pids: true } }));
    expect(enforced.profile.limits).toEqual({ tmpfsMb: 256, memoryMb: 160, pids: 32 });
    const capped = learnProfile(
      [peak],
      base({
        enforced: { memoryMb: true, pids: true },
        profile: ProfileSchema.parse({ name: 'b', backend: 'docker', limits: { memoryMb: 128, pids: 20 } }),
      }),
    );
    expect(capped.profile.limits).toEqual({ memoryMb: 128, pids: 20 });
    const unenforced = learnProfile([peak], base());
    expect(unenforced.profile.limits).toEqual({ tmpfsMb: 256 });
    expect(unenforced.report.notes.some((n) => n.startsWith('limits.memoryMb: 160 would fit'))).toBe(true);
    expect(learnProfile([], base()).report.notes.some((n) => n.startsWith('limits: not learned'))).toBe(true);
  });

  it('reports what stopped the server as "would need"', () => {
    const { report } = learnProfile(
      [
        {
          event: 'verdict',
          direction: 'server',
          action: 'kill',
          rule: 'server.request-not-allowed',
          reason: 'sampling/createMessage is not allowed',
          method: 'sampling/createMessage',
        },
        {
          event: 'tool.withheld',
          tool: 'evil',
          rule: 'tool.description-poisoned',
          reason: 'hidden instructions',
        },
      ],
      base(),
    );
    expect(report.wouldNeed.map((e) => [e.setting, e.value])).toEqual([
      ['policy.methods.serverRequests', 'sampling/createMessage'],
      ['review', 'evil'],
    ]);
  });
});
