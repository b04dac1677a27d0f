// mcp-warden replay on bad input: every problem is one clear message naming the file (and line), with
// how to fix it, and exit status 2 — never a stack trace, never a report.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { PROJECT_ROOT, WARDEN_ENTRY } from '../helpers/warden.ts';

const HEADER = {
  type: 'header',
  format: 'mcp-warden-record',
  version: 1,
  time: '2026-01-02T03:04:05.000Z',
  warden: '0.1.0',
  session: 'abc123',
  profile: { name: 'none', backend: 'none', sha256: 'a'.repeat(64) },
  roots: [{ path: '/tmp', realPath: '/tmp', readOnly: false }],
  allowHost: [],
  contents: false,
  command: ['node', 'server.js'],
};
const PING = {
  type: 'message',
  seq: 1,
  t: 1,
  direction: 'client',
  bytes: 40,
  message: { jsonrpc: '2.0', id: 1, method: 'ping' },
  verdict: { action: 'allow' },
};

function replay(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [WARDEN_ENTRY, 'replay', ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

const jsonl = (...lines: unknown[]): string =>
  lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n';

describe('replay: bad input is exit 2 with a message naming the file and line', () => {
  let dir: string;
  const file = (name: string, text: string): string => {
    const target = path.join(dir, name);
    writeFileSync(target, text);
    return target;
  };

  beforeAll(() => {
    dir = tmpRoot('replay-input');
  });

  it('accepts a good record (the baseline the cases below break)', () => {
    const out = replay(['--profile', 'none', file('good.jsonl', jsonl(HEADER, PING))]);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
  });

  const cases: Array<[string, () => string[], RegExp]> = [
    [
      'a file that does not exist',
      () => ['--profile', 'none', path.join(dir, 'missing.jsonl')],
      /cannot read the record .*missing\.jsonl: ENOENT/,
    ],
    ['a directory', () => ['--profile', 'none', dir], /cannot read the record .*: EISDIR/],
    [
      'an empty file',
      () => ['--profile', 'none', file('empty.jsonl', '')],
      /empty\.jsonl: the file is empty/,
    ],
    [
      'another format version',
      () => ['--profile', 'none', file('v2.jsonl', jsonl({ ...HEADER, version: 2 }, PING))],
      /v2\.jsonl line 1: format version 2 is not supported: this mcp-warden reads version 1\n {2}fix: replay it with the mcp-warden that wrote it/,
    ],
    [
      'not a record at all (an audit log)',
      () => ['--profile', 'none', file('audit.jsonl', jsonl({ event: 'session.start', session: 'x' }))],
      /audit\.jsonl line 1: expected a header line first/,
    ],
    [
      'a line that is not JSON',
      () => ['--profile', 'none', file('bad-json.jsonl', jsonl(HEADER, PING, '{"type":"message",'))],
      /bad-json\.jsonl line 3: not valid JSON/,
    ],
    [
      'a last line cut short',
      () => ['--profile', 'none', file('cut.jsonl', `${jsonl(HEADER, PING)}{"type":"mess`)],
      /cut\.jsonl line 3: the last line is cut short.*\n {2}fix: remove the partial last line/,
    ],
    [
      'a line that breaks the schema (naming the field)',
      () => ['--profile', 'none', file('schema.jsonl', jsonl(HEADER, { ...PING, direction: 'sideways' }))],
      /schema\.jsonl line 2: direction: /,
    ],
    [
      'an unknown line type',
      () => ['--profile', 'none', file('type.jsonl', jsonl(HEADER, { type: 'gossip', seq: 1 }))],
      /type\.jsonl line 2: /,
    ],
    [
      'a recorded message that is not JSON-RPC',
      () => [
        '--profile',
        'none',
        file('rpc.jsonl', jsonl(HEADER, { ...PING, message: { jsonrpc: '1.0', id: 1, method: 'ping' } })),
      ],
      /rpc\.jsonl line 2: the recorded message is not a valid JSON-RPC message/,
    ],
    [
      'a header with a bad field',
      () => ['--profile', 'none', file('header.jsonl', jsonl({ ...HEADER, roots: [{ path: 'rel' }] }, PING))],
      /header\.jsonl line 1: invalid header: roots\[0\]\.path: must be an absolute path/,
    ],
    [
      'no --profile',
      () => [file('noprof.jsonl', jsonl(HEADER, PING))],
      /replay needs the profile to decide under/,
    ],
    ['no record', () => ['--profile', 'none'], /no record given/],
    [
      'an unknown option',
      () => ['--profile', 'none', '--frobnicate', 'x.jsonl'],
      /Unknown option '--frobnicate'/,
    ],
    [
      'an invalid profile file',
      () => [
        '--profile',
        file('p.json', '{"name":"p","backend":"none","policy":{"tools":{"alow":[]}}}'),
        'x.jsonl',
      ],
      /invalid profile .*p\.json:\npolicy\.tools: Unrecognized key/,
    ],
    [
      'a --root that does not exist',
      () => ['--root', path.join(dir, 'nope'), '--profile', 'none', file('r.jsonl', jsonl(HEADER, PING))],
      /nope/,
    ],
  ];

  it.each(cases)('%s', (_name, args, message) => {
    const out = replay(args());
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(message);
    expect(out.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(out.status).toBe(2);
  });

  it('refuses a record reached through a symlink loop with a clear message', () => {
    const loop = path.join(dir, 'loop');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    symlinkSync(loop, loop);
    const out = replay(['--profile', 'none', loop]);
    expect(out.stderr).toMatch(/cannot read the record .*loop: ELOOP/);
    expect(out.status).toBe(2);
  });
});

describe('run --record: the record never shares the MCP channel, and bad paths fail before launch', () => {
  const run = (args: string[], stdout: 'pipe' | number = 'pipe') =>
    spawnSync(
      process.execPath,
      [WARDEN_ENTRY, 'run', '--profile', 'none', ...args, '--', process.execPath, '-e', ''],
      {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        timeout: 30_000,
        stdio: ['pipe', stdout, 'pipe'],
      },
    );

  it('refuses /dev/stdout: a link is never followed', () => {
    const out = run(['--record', '/dev/stdout']);
    expect(out.stderr).toMatch(/--record \/dev\/stdout: it is a symbolic link/);
    expect(out.status).toBe(2);
  });

  it('refuses the very file stdout is redirected to', () => {
    const dir = tmpRoot('record-stdout');
    const file = path.join(dir, 'out.jsonl');
    writeFileSync(file, '');
    const fd = openSync(file, 'a');
    try {
      const out = run(['--record', file], fd);
      expect(out.stderr).toMatch(/it is the warden's stdout, which carries the MCP protocol only/);
      expect(out.status).toBe(2);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('refuses --record-contents without --record', () => {
    const out = run(['--record-contents']);
    expect(out.stderr).toMatch(/--record-contents only applies with --record FILE/);
    expect(out.status).toBe(2);
  });
});
