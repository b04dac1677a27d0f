// The Seatbelt generator, on any OS: golden files pin the exact argv and profile for each kind of
// session, and the test-only SBPL reader proves every generated profile is well formed.
// Run with UPDATE_GOLDEN=1 to rewrite the golden files after an intended change (then review the diff).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../src/errors.ts';
import { readBasePolicy } from '../../../src/sandboxes/seatbelt/base-policy.ts';
import {
  SANDBOX_EXEC,
  type SeatbeltDetails,
  planSeatbelt,
} from '../../../src/sandboxes/seatbelt/seatbelt-plan.ts';
import type { LaunchSpec, SandboxPlan } from '../../../src/sandboxes/types.ts';
import { readSbplProfile } from '../../helpers/sbpl-reader.ts';

const GOLDEN_DIR = path.join(import.meta.dirname, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const HOME = '/Users/me';
const WORK_DIR = '/var/folders/xy/abc/T/mcp-warden-seatbelt-0123456789abcdef';
const BASE = readBasePolicy();

function spec(overrides: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    executable: '/usr/local/bin/node',
    args: ['/Users/me/srv/server.js', '--flag'],
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', TOKEN: 't0k' },
    roots: [{ path: '/Users/me/data', realPath: '/Users/me/data', readOnly: false }],
    readOnlyPaths: ['/usr/local/Cellar/node/22.1.0/bin/node', '/Users/me/srv', '/Users/me/srv/node_modules'],
    runtimePaths: ['/usr/local/Cellar/node/22.1.0/bin/node'],
    cwd: '/Users/me/data',
    limits: {},
    network: false,
    ...overrides,
  };
}

const plan = (s: LaunchSpec): SandboxPlan =>
  planSeatbelt(s, { basePolicy: BASE, home: HOME, workDir: WORK_DIR });
const details = (p: SandboxPlan): SeatbeltDetails => p.details as unknown as SeatbeltDetails;

/** The golden text: argv, env and cwd as one-line JSON comments (valid SBPL), then the profile. */
function render(p: SandboxPlan): string {
  return [
    `;; argv: ${JSON.stringify(p.argv)}`,
    `;; env: ${JSON.stringify(p.env)}`,
    `;; cwd: ${JSON.stringify(p.cwd)}`,
    details(p).profile,
  ].join('\n');
}

const CASES: Array<[string, LaunchSpec]> = [
  ['one-rw-root', spec()],
  [
    'one-ro-root',
    spec({
      roots: [{ path: '/Users/me/docs', realPath: '/Users/me/docs', readOnly: true }],
      cwd: '/Users/me/docs',
    }),
  ],
  [
    'several-roots',
    spec({
      roots: [
        { path: '/Users/me/data', realPath: '/Users/me/data', readOnly: false },
        { path: '/Users/Shared/docs', realPath: '/Users/Shared/docs', readOnly: true },
        { path: '/tmp/scratch', realPath: '/private/tmp/scratch', readOnly: false },
        { path: '/Volumes/Ext/archive', realPath: '/Volumes/Ext/archive', readOnly: true },
      ],
    }),
  ],
  [
    'special-characters',
    spec({
      roots: [
        { path: '/Users/me/My Documents', realPath: '/Users/me/My Documents', readOnly: false },
        { path: '/Users/me/say "hi"', realPath: '/Users/me/say "hi"', readOnly: true },
        { path: '/Users/me/back\\slash/', realPath: '/Users/me/back\\slash', readOnly: false },
        { path: '/Users/me/a) (allow default', realPath: '/Users/me/a) (allow default', readOnly: false },
      ],
      cwd: '/Users/me/My Documents',
    }),
  ],
  [
    'non-ascii',
    spec({
      roots: [
        { path: '/Users/me/Données/été', realPath: '/Users/me/Données/été', readOnly: false },
        { path: '/Users/me/日本語', realPath: '/Users/me/日本語', readOnly: true },
      ],
      cwd: '/Users/me/Données/été',
    }),
  ],
  [
    'symlinked-roots',
    spec({
      roots: [
        { path: '/Users/me/link', realPath: '/Volumes/Data/real', readOnly: false },
        {
          path: '/var/folders/xy/abc/T/work',
          realPath: '/private/var/folders/xy/abc/T/work',
          readOnly: true,
        },
      ],
      executable: '/opt/homebrew/bin/node',
      runtimePaths: ['/opt/homebrew/Cellar/node/23.1.0/bin/node'],
      readOnlyPaths: ['/opt/homebrew/Cellar/node/23.1.0/bin/node', '/Users/me/srv'],
      cwd: '/Users/me/link',
    }),
  ],
  ['network-on', spec({ network: true })],
  [
    // Egress by allowlist once the proxy listens (run): one TCP port on the loopback, the proxy variables.
    'egress-allowlist',
    spec({
      egress: {
        socketDir: '/var/folders/xy/abc/T/mcp-warden-net-0123456789ab',
        socketPath: '/var/folders/xy/abc/T/mcp-warden-net-0123456789ab/proxy.sock',
        loopback: { entry: { port: 49731, credential: '0123456789abcdef0123456789abcdef' } },
      },
    }),
  ],
  ['network-off-no-roots', spec({ roots: [], cwd: '/tmp' })],
];

describe('planSeatbelt golden files', () => {
  it.each(CASES)('%s', (name, s) => {
    const actual = render(plan(s));
    const file = path.join(GOLDEN_DIR, `${name}.sb`);
    if (UPDATE || !existsSync(file)) {
      if (!UPDATE) throw new Error(`missing golden file ${file}: run with UPDATE_GOLDEN=1`);
      writeFileSync(file, actual);
    }
    expect(actual).toBe(readFileSync(file, 'utf8'));
  });

  it.each(CASES)('%s: the golden file is a well-formed profile starting with (deny default)', (name) => {
    const text = readFileSync(path.join(GOLDEN_DIR, `${name}.sb`), 'utf8');
    expect(readSbplProfile(text).rules[0]).toMatchObject({ action: 'deny', operations: ['default'] });
  });
});

describe('planSeatbelt', () => {
  it.each(CASES)('%s: every (param) the profile reads is passed with -D, and nothing else is', (_name, s) => {
    const p = plan(s);
    const profile = readSbplProfile(details(p).profile);
    const argv = p.argv;
    const passed = argv.flatMap((a, i) => (argv[i - 1] === '-D' ? [a.slice(0, a.indexOf('='))] : []));
    expect(new Set(passed)).toEqual(profile.params);
    expect(passed.length).toBe(new Set(passed).size);
  });

  it('argv: sandbox-exec -f PROFILE -D ... -- executable args', () => {
    const p = plan(spec());
    expect(p.argv.slice(0, 3)).toEqual([SANDBOX_EXEC, '-f', `/private${WORK_DIR}/profile.sb`]);
    expect(p.argv.slice(p.argv.indexOf('--'))).toEqual([
      '--',
      '/usr/local/bin/node',
      '/Users/me/srv/server.js',
      '--flag',
    ]);
    expect(details(p).params).toMatchObject({
      HOME,
      ROOT_0: '/Users/me/data',
      TMPDIR: `/private${WORK_DIR}/tmp`,
    });
  });

  it('session paths are -D parameters, never SBPL text, whatever bytes they hold', () => {
    const p = plan(CASES.find(([n]) => n === 'special-characters')?.[1] as LaunchSpec);
    const profile = details(p).profile;
    for (const fragment of ['My Documents', 'say', 'back', 'allow default', '/Users/me"']) {
      expect(profile).not.toContain(fragment);
    }
    expect(p.argv).toContain('ROOT_1=/Users/me/say "hi"');
    expect(p.argv).toContain('ROOT_2=/Users/me/back\\slash');
    // A root whose path and realpath differ only by a trailing slash is one path.
    expect(p.argv.some((a) => a.startsWith('ROOT_2_REAL='))).toBe(false);
  });

  it('symlinked roots allow both the given path and the realpath', () => {
    const p = plan(CASES.find(([n]) => n === 'symlinked-roots')?.[1] as LaunchSpec);
    expect(details(p).params).toMatchObject({
      ROOT_0: '/Users/me/link',
      ROOT_0_REAL: '/Volumes/Data/real',
      ROOT_1: '/private/var/folders/xy/abc/T/work',
    });
    expect(details(p).params.ROOT_1_REAL).toBeUndefined();
    expect(details(p).profile).toContain('(subpath (param "ROOT_0_REAL"))');
  });

  it('the denials of ~/.ssh, ~/.aws, keychains and other homes come after every allow (last rule wins)', () => {
    for (const [, s] of CASES) {
      const { rules } = readSbplProfile(details(plan(s)).profile);
      // Every allow but the proxy's network-outbound (egress-allowlist: after (deny network*), on purpose;
      // a network operation cannot reopen a file the denials close).
      const fileAllows = rules.filter(
        (r) => r.action === 'allow' && !r.operations.every((o) => o.startsWith('network')),
      );
      const lastAllow = Math.max(...fileAllows.map((r) => r.index));
      const text = (r: (typeof rules)[number]): string => JSON.stringify(r.filters);
      const secrets = rules.filter(
        (r) => r.action === 'deny' && /\.ssh|\.aws|Keychains|\^\/Users/.test(text(r)),
      );
      expect(secrets.map((r) => r.operations)).toEqual([
        ['file-read*', 'file-write*'],
        ['file-read*', 'file-write*'],
      ]);
      for (const needle of ['"/.ssh"', '"/.aws"', '"/Library/Keychains"', '"require-not"', '"HOME"']) {
        expect(secrets.map(text).join(' ')).toContain(needle);
      }
      for (const rule of secrets) expect(rule.index).toBeGreaterThan(lastAllow);
    }
  });

  it('network off: no network allow, and (deny network*) is the last rule; on: outbound allowed', () => {
    const off = readSbplProfile(details(plan(spec())).profile).rules;
    expect(
      off.filter((r) => r.action === 'allow' && r.operations.some((o) => o.startsWith('network'))),
    ).toEqual([]);
    expect(off.at(-1)).toMatchObject({ action: 'deny', operations: ['network*'], filters: [] });
    const on = readSbplProfile(details(plan(spec({ network: true }))).profile).rules;
    expect(on.some((r) => r.action === 'allow' && r.operations.includes('network-outbound'))).toBe(true);
    expect(on.some((r) => r.operations.includes('network*'))).toBe(false);
  });

  it('process-exec is limited to the runtime', () => {
    const { rules } = readSbplProfile(details(plan(spec())).profile);
    const execs = rules.filter((r) => r.operations.includes('process-exec'));
    expect(execs.every((r) => r.action === 'allow' && r.filters.length > 0)).toBe(true);
    expect(JSON.stringify(execs.map((r) => r.filters))).toMatch(/"EXECUTABLE".*"RUNTIME_0"/);
  });

  it('is pure: the same input gives the same plan, and home comes only from the option', () => {
    expect(plan(spec())).toEqual(plan(spec()));
    const other = planSeatbelt(spec(), { basePolicy: BASE, home: '/var/root', workDir: WORK_DIR });
    expect(details(other).params.HOME).toBe('/private/var/root');
  });

  it('gives the server a private TMPDIR, and uses it as cwd when there is no root', () => {
    const p = plan(spec({ roots: [], cwd: '/tmp' }));
    expect(p.env).toEqual({
      PATH: '/usr/local/bin:/usr/bin:/bin',
      TOKEN: 't0k',
      TMPDIR: `/private${WORK_DIR}/tmp`,
    });
    expect(p.cwd).toBe(`/private${WORK_DIR}/tmp`);
    expect(plan(spec()).cwd).toBe('/Users/me/data');
  });

  it('states every limit it cannot enforce', () => {
    const p = plan(spec({ limits: { memoryMb: 256, cpus: 1, pids: 64, tmpfsMb: 16 } }));
    expect(p.unenforced).toHaveLength(4);
    expect(p.unenforced.join('\n')).toMatch(/memory 256 MB.*\n.*cpus 1.*\n.*pids 64.*\n.*tmpfs 16/);
  });

  it('warns about a root the final denials cover', () => {
    const p = plan(
      spec({
        roots: [
          { path: '/Users/me/.ssh', realPath: '/Users/me/.ssh', readOnly: true },
          { path: '/Users/bob/shared', realPath: '/Users/bob/shared', readOnly: false },
          { path: '/Users/Shared/ok', realPath: '/Users/Shared/ok', readOnly: false },
          { path: '/Users/me', realPath: '/Users/me', readOnly: false },
        ],
      }),
    );
    expect(p.warnings).toEqual([
      'root /Users/me/.ssh lies in /Users/me/.ssh, which the seatbelt profile always denies; the server cannot use it',
      "root /Users/bob/shared lies in another user's home, which the seatbelt profile always denies; the server cannot use it",
    ]);
  });

  it.each([
    ['a newline', '/Users/me/a\nb'],
    ['a NUL', '/Users/me/a\u0000b'],
    ['a carriage return', '/Users/me/a\rb'],
    ['an escape character', '/Users/me/\u001b[31m'],
    ['a relative path', 'data'],
  ])('refuses a root with %s (config error, nothing emitted)', (_what, bad) => {
    let caught: unknown;
    try {
      plan(spec({ roots: [{ path: bad, realPath: bad, readOnly: false }] }));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WardenError);
    expect((caught as WardenError).code).toBe('config');
    expect((caught as WardenError).message).toContain(JSON.stringify(bad));
  });
});
