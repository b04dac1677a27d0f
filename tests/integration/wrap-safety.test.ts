// Issue 15 item 6: wrap validates what it writes, never silently replaces a read-only config, turns every
// file-system failure into one line with its fix (no stack trace, exit 2), unwrap keeps entries edited
// after wrapping, and --dry-run prints a unified diff that `patch` applies.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { PROJECT_ROOT, WARDEN_ENTRY } from '../helpers/warden.ts';

const IS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
const CONFIG = `{
  "mcpServers": {
    "echo": { "command": "node", "args": ["/srv/echo.mjs"], "env": { "KEY": "v" } }
  }
}
`;

/** Run the CLI; `asUser` drops to uid 65534 when the tests run as root (root ignores permission bits). */
function cli(args: string[], options: { asUser?: boolean; cwd?: string } = {}) {
  const base = [process.execPath, WARDEN_ENTRY, ...args];
  const argv =
    options.asUser && IS_ROOT
      ? ['setpriv', '--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', ...base]
      : base;
  const out = spawnSync(argv[0] ?? '', argv.slice(1), {
    encoding: 'utf8',
    cwd: options.cwd ?? PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** A config in a fresh directory, owned by the user the CLI runs as. */
function configFile(asUser = false): { dir: string; file: string } {
  const dir = tmpRoot('wrap-safety');
  const file = path.join(dir, '.mcp.json');
  writeFileSync(file, CONFIG);
  if (asUser && IS_ROOT) {
    chownSync(dir, NOBODY, NOBODY);
    chownSync(file, NOBODY, NOBODY);
  }
  return { dir, file };
}

function expectOneLineError(result: { code: number | null; stderr: string }, message: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).toMatch(/\n {2}fix: /);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('wrap validates every option against what run accepts, before writing', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown profile', ['--profile', 'bwarp'], /unknown profile "bwarp"/],
    ['a root that does not exist', ['--root', '/nope'], /--root \/nope: .*no such file/],
    ['a root that is a file', ['--root', '/etc/hostname'], /--root \/etc\/hostname: not a directory/],
    [
      'a server that is not in the file',
      ['--server', 'nosuch'],
      /--server nosuch: no such server .*nothing was written/,
    ],
    [
      'an unpinned npx warden command',
      ['--warden-command', 'npx -y mcp-warden'],
      /not pinned to an exact version/,
    ],
    [
      'a warden command that does not exist',
      ['--warden-command', '/nope/node main.js'],
      /\/nope\/node is not an executable/,
    ],
    ['a lock file that does not exist', ['--lock', '/nope/lock.json'], /lock file .* does not exist/],
    ['an unknown format', ['--format', 'emacs'], /--format emacs: not a client format/],
    [
      '--warm with a backend that has no warm pool',
      ['--profile', 'none', '--warm'],
      /--warm: --profile none runs the servers on the none backend, which has no warm pool \(docker and gvisor only\); nothing was written/,
    ],
  ];
  it.each(cases)('%s: exit 2, the file untouched', (_name, args, message) => {
    const { file } = configFile();
    const result = cli(['wrap', '--config', file, ...args]);
    expectOneLineError(result, message);
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
    expect(existsSync(`${file}.mcp-warden.bak`)).toBe(false);
  });

  it('unwrap --warm: exit 2, the file untouched', () => {
    const { file } = configFile();
    expectOneLineError(
      cli(['unwrap', '--config', file, '--warm']),
      /--warm is an option of wrap, not of unwrap/,
    );
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  });

  it('an env name run would refuse: exit 2 naming the server', () => {
    const { file } = configFile();
    writeFileSync(file, '{"mcpServers": {"bad": {"command": "x", "env": {"MY-VAR": "1"}}}}');
    expectOneLineError(cli(['wrap', '--config', file]), /server "bad": --env MY-VAR/);
  });
});

describe('read-only configs and folders', () => {
  it('a read-only file is refused without --force, even for root; with --force its mode is kept', () => {
    const { file } = configFile();
    chmodSync(file, 0o444);
    expectOneLineError(cli(['wrap', '--config', file]), /is read-only \(mode 444\): not changed/);
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
    const forced = cli(['wrap', '--config', file, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o444);
    expect(statSync(`${file}.mcp-warden.bak`).mode & 0o777).toBe(0o600);
    const unwrap = cli(['unwrap', '--config', file, '--force']);
    expect(unwrap.code, unwrap.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  });

  it('as a normal user: a read-only backup from an older wrap does not break unwrap; a read-only folder is one line with its fix', () => {
    const { dir, file } = configFile(true);
    const wrap = cli(['wrap', '--config', file], { asUser: true });
    expect(wrap.code, wrap.stderr).toBe(0);
    chmodSync(`${file}.mcp-warden.bak`, 0o444); // what the old wrap left (it copied the mode)
    const unwrap = cli(['unwrap', '--config', file], { asUser: true });
    expect(unwrap.code, unwrap.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);

    chmodSync(dir, 0o555);
    const denied = cli(['wrap', '--config', file], { asUser: true });
    expectOneLineError(denied, /cannot write in .*: permission denied/);
    expect(denied.stderr).toMatch(/chmod u\+w/);
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);

    chmodSync(dir, 0o755);
    chmodSync(file, 0o000);
    expectOneLineError(
      cli(['wrap', '--config', file], { asUser: true }),
      /cannot read .*: permission denied/,
    );
  });

  it('a config that does not exist: one line, exit 2', () => {
    expectOneLineError(cli(['wrap', '--config', '/nonexistent/.mcp.json']), /cannot read .*no such file/);
  });
});

describe('unwrap of an entry edited after wrapping', () => {
  it('keeps the file and says what would be lost; --force restores the original', () => {
    const { file } = configFile();
    expect(cli(['wrap', '--config', file]).code).toBe(0);
    const edited = readFileSync(file, 'utf8').replace('"KEY": "v"', '"KEY": "v",\n        "API_TOKEN": "t"');
    writeFileSync(file, edited);
    const refused = cli(['unwrap', '--config', file]);
    expectOneLineError(
      refused,
      /edited after wrapping.*\n.*echo: env\.API_TOKEN \(added\)\nnothing was written/,
    );
    expect(readFileSync(file, 'utf8')).toBe(edited);
    const forced = cli(['unwrap', '--config', file, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/lost edits made after wrapping: env\.API_TOKEN \(added\)/);
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  });
});

describe('--dry-run', () => {
  it('prints a unified diff that patch applies to give exactly what wrap writes, and writes nothing', () => {
    const { dir, file } = configFile();
    const dry = cli(['wrap', '--config', file, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^--- .*\.mcp\.json\n\+\+\+ .*\n@@ -1,5 \+1,\d+ @@\n/);
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
    expect(existsSync(`${file}.mcp-warden.bak`)).toBe(false);
    const copy = path.join(dir, 'copy.json');
    writeFileSync(copy, CONFIG);
    const patch = spawnSync('patch', ['-s', copy], { input: dry.stdout, encoding: 'utf8' });
    expect(patch.status, patch.stderr).toBe(0);
    expect(cli(['wrap', '--config', file]).code).toBe(0);
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(file, 'utf8'));
    const undo = cli(['unwrap', '--config', file, '--dry-run']);
    expect(undo.stdout).toContain('-    "echo": {\n');
  });
});
