// Virtualenvs with the real `mcp` Python SDK and the fixture server (tests/fixtures/python-mcp-fixture)
// for the tests that run Python servers from a venv. Built once per machine and kept in a cache keyed
// by what went into them (requirement, base interpreter, layout, fixture sources): a CI machine pays
// the pip install once. When pip cannot install the SDK (no index reachable), the venv is
// unavailable and `skip` says why, so the suites that need it show a visible SKIPPED.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { makeUvLayout } from './uv-layout.ts';
import { PROJECT_ROOT } from './warden.ts';

/** The requirement installed next to the fixture (the real SDK, whatever version the index has). */
export const MCP_REQUIREMENT = 'mcp';
/** The fixture package: one module and its pyproject (console script `mcp-warden-fixture`). */
export const FIXTURE_DIR = path.join(PROJECT_ROOT, 'tests/fixtures/python-mcp-fixture');
export const FIXTURE_SCRIPT = path.join(FIXTURE_DIR, 'mcp_warden_fixture.py');
const SYSTEM_PYTHON = '/usr/bin/python3';
/**
 * A Python installed by a version manager under the user's home (pyenv here), standing in for uv's
 * managed interpreters in ~/.local/share/uv/python: the base of the uv-layout venv when it exists.
 */
const MANAGED_PYTHON = path.join(homedir(), '.pyenv/versions/3.11.7/bin/python3.11');

/** A built venv, or why there is none. */
export type TestVenv =
  | {
      ok: true;
      /** The venv directory (real path). */
      dir: string;
      /** Its interpreter, as scripts name it (DIR/bin/python, a symlink to the base). */
      python: string;
      /** The fixture's console script inside the venv (shebang: the venv's python). */
      script: string;
      /** The entry point as a user runs it: for `uv`, a link in a bin dir outside the venv (uv tool's ~/.local/bin). */
      entry: string;
      /** The base interpreter (pyvenv.cfg `home`), real path. */
      base: string;
      /** What the suite title says about it. */
      status: string;
    }
  | { ok: false; status: string };

/** Where built venvs are kept: MCP_WARDEN_TEST_CACHE, else ~/.cache/mcp-warden-tests. */
export function testCacheDir(): string {
  return process.env.MCP_WARDEN_TEST_CACHE ?? path.join(homedir(), '.cache', 'mcp-warden-tests');
}

const built = new Map<string, TestVenv>();

/** A venv as `python3 -m venv` and pip make it (pip, pipx), on the system Python. */
export function pipVenv(): TestVenv {
  return cachedVenv('pip', existsSync(SYSTEM_PYTHON) ? SYSTEM_PYTHON : undefined);
}

/**
 * A venv laid out the way `uv venv` / `uv tool install` make it: pyvenv.cfg with `uv = ...` and `home`
 * pointing at a managed interpreter under the home directory, bin/python a link to it, no pip inside,
 * uv's `_virtualenv.pth`, and the console script reached through a link in a separate bin directory.
 * uv itself cannot be installed on this machine: the layout is reproduced, uv is not run.
 */
export function uvLayoutVenv(): TestVenv {
  const base = existsSync(MANAGED_PYTHON) ? MANAGED_PYTHON : SYSTEM_PYTHON;
  return cachedVenv('uv', existsSync(base) ? base : undefined);
}

function cachedVenv(layout: 'pip' | 'uv', base: string | undefined): TestVenv {
  const known = built.get(layout);
  if (known !== undefined) return known;
  const result =
    base === undefined
      ? { ok: false as const, status: 'SKIPPED: no Python 3 interpreter' }
      : build(layout, base);
  built.set(layout, result);
  return result;
}

function build(layout: 'pip' | 'uv', basePython: string): TestVenv {
  const base = realpathSync(basePython);
  const key = hash(
    JSON.stringify({
      layout,
      requirement: MCP_REQUIREMENT,
      base,
      baseMtime: statSync(base).mtimeMs,
      fixture: readdirSync(FIXTURE_DIR)
        .sort()
        .map((name) => [name, hash(readFileSync(path.join(FIXTURE_DIR, name), 'utf8'))]),
      version: 1,
    }),
  );
  const home = path.join(testCacheDir(), 'venvs');
  // Short names keep the console scripts' shebangs under the kernel's 127-byte limit.
  const dir = path.join(home, `${layout}-${key.slice(0, 12)}`);
  const done = path.join(dir, '.mcp-warden-test-complete');
  const entryDir = path.join(home, `${layout}-${key.slice(0, 12)}-bin`);
  const describe = (python: string): TestVenv => ({
    ok: true,
    dir: realpathSync(dir),
    python: path.join(realpathSync(dir), 'bin', 'python'),
    script: path.join(realpathSync(dir), 'bin', 'mcp-warden-fixture'),
    entry:
      layout === 'uv'
        ? path.join(entryDir, 'mcp-warden-fixture')
        : path.join(realpathSync(dir), 'bin', 'mcp-warden-fixture'),
    base: python,
    status: `${layout} venv of ${MCP_REQUIREMENT} on ${python} (${dir})`,
  });
  if (existsSync(done)) return describe(base);
  mkdirSync(home, { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  rmSync(entryDir, { recursive: true, force: true });
  // pip writes build/ and egg-info next to a source tree: install from a copy.
  const source = mkdtempSync(path.join(tmpdir(), 'mcp-warden-fixture-src-'));
  cpSync(FIXTURE_DIR, source, { recursive: true });
  try {
    if (layout === 'pip') {
      run(basePython, ['-m', 'venv', dir]);
      run(path.join(dir, 'bin', 'pip'), ['install', '--quiet', MCP_REQUIREMENT, source]);
    } else {
      run(basePython, ['-m', 'venv', '--without-pip', dir]);
      makeUvLayout(dir, base);
      // No pip inside, as uv makes it: the pip venv's pip installs into it from outside.
      const pip = pipVenv();
      if (!pip.ok) return { ok: false, status: pip.status };
      run(path.join(pip.dir, 'bin', 'pip'), [
        '--python',
        path.join(dir, 'bin', 'python'),
        'install',
        '--quiet',
        MCP_REQUIREMENT,
        source,
      ]);
      mkdirSync(entryDir, { recursive: true });
      symlinkSync(path.join(dir, 'bin', 'mcp-warden-fixture'), path.join(entryDir, 'mcp-warden-fixture'));
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return {
      ok: false,
      status: `SKIPPED: pip could not install ${MCP_REQUIREMENT}: ${(error as Error).message}`,
    };
  } finally {
    rmSync(source, { recursive: true, force: true });
  }
  writeFileSync(done, `${new Date().toISOString()}\n`);
  return describe(base);
}

/**
 * A directory holding a wheel of the fixture package (for `pipx run` / `uvx` tests, which install it
 * by name with wheels only), built once per fixture version with the pip venv's pip; undefined when
 * the pip venv is unavailable. Pass it to pip as a --find-links location (PIP_FIND_LINKS).
 */
export function fixtureWheels(): string | undefined {
  const pip = pipVenv();
  if (!pip.ok) return undefined;
  const dir = path.join(testCacheDir(), `wheels-${path.basename(pip.dir)}`);
  const done = path.join(dir, '.complete');
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const source = mkdtempSync(path.join(tmpdir(), 'mcp-warden-fixture-src-'));
  cpSync(FIXTURE_DIR, source, { recursive: true });
  try {
    run(path.join(pip.dir, 'bin', 'pip'), ['wheel', '--quiet', '--no-deps', '-w', dir, source]);
  } finally {
    rmSync(source, { recursive: true, force: true });
  }
  writeFileSync(done, '');
  return dir;
}

/**
 * pip settings for tests: an index that cannot be reached (no network here) fails in seconds instead of
 * pip's configured wait, so the other (local) indexes and find-links answer without minutes of retries.
 */
export const QUICK_PIP_ENV = { PIP_DEFAULT_TIMEOUT: '3', PIP_RETRIES: '0' } as const;

function run(file: string, args: string[]): void {
  const result = spawnSync(file, args, {
    env: { ...process.env, ...QUICK_PIP_ENV },
    encoding: 'utf8',
    timeout: 10 * 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) {
    const tail = `${result.stderr ?? ''}${result.error?.message ?? ''}`
      .split('\n')
      .filter((line) => line.trim() !== '' && !/is ignored: it is neither/.test(line))
      .slice(-4)
      .join(' | ');
    throw new Error(
      `${path.basename(file)} ${args.slice(0, 2).join(' ')} failed (${result.status}): ${tail}`,
    );
  }
}

function hash(text: string): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex');
}
