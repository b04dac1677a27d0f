import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BASELINE_ENV } from '../../../../src/sandboxes/launch-spec/baseline-env.ts';
import { buildLaunchSpec } from '../../../../src/sandboxes/launch-spec/build-launch-spec.ts';
import type { LaunchInput } from '../../../../src/sandboxes/launch-spec/build-launch-spec.ts';
import { npxInstallDir } from '../../../../src/sandboxes/launch-spec/npx-install.ts';

const repo = path.resolve(import.meta.dirname, '../../../..');
const node = realpathSync(process.execPath);
const nodeDir = path.dirname(process.execPath);

function temp(): string {
  return realpathSync(mkdtempSync(path.join(tmpdir(), 'mcp-warden-spec-')));
}

function input(command: string[], extra: Partial<LaunchInput> = {}): LaunchInput {
  return {
    command,
    roots: [],
    env: {},
    limits: {},
    network: false,
    cacheDir: temp(),
    hostPath: nodeDir,
    ...extra,
  };
}

/** True when `file` is visible through one of the read-only paths. */
function exposes(paths: string[], file: string): boolean {
  return paths.some((p) => file === p || file.startsWith(`${p}/`));
}

function executable(file: string, text: string): string {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
  return file;
}

describe('buildLaunchSpec', () => {
  afterEach(() => {
    delete process.env.MCP_WARDEN_LEAK;
  });

  it('resolves a PATH name to the real binary with its libraries (ldd of the real node)', async () => {
    const spec = await buildLaunchSpec(input(['node', '-e', '0']));
    expect(spec.executable).toBe(node);
    expect(spec.args).toEqual(['-e', '0']);
    expect(spec.readOnlyPaths).toContain(node);
    if (process.platform === 'linux') {
      expect(spec.readOnlyPaths.some((p) => /\/libc\.so/.test(p))).toBe(true);
      expect(spec.readOnlyPaths.some((p) => /ld-linux/.test(p))).toBe(true);
    }
    expect(spec.cwd).toBe('/tmp');
  });

  it('passes exactly the given env plus the baseline; nothing from process.env', async () => {
    process.env.MCP_WARDEN_LEAK = 'leak';
    const spec = await buildLaunchSpec(input(['node', '-e', '0'], { env: { API: 'k' } }));
    expect(spec.env).toEqual({ PATH: '/usr/local/bin:/usr/bin:/bin', API: 'k' });
    expect(BASELINE_ENV).toEqual({ PATH: '/usr/local/bin:/usr/bin:/bin' });
  });

  it('uses the first root as cwd', async () => {
    const dir = temp();
    const spec = await buildLaunchSpec(
      input(['node', '-e', '0'], { roots: [{ path: dir, realPath: dir, readOnly: false }] }),
    );
    expect(spec.cwd).toBe(dir);
    expect(spec.roots).toEqual([{ path: dir, realPath: dir, readOnly: false }]);
  });

  it('rewrites "#!/usr/bin/env node" and "env -S node --flag" scripts; mounts the lone script, not its dir', async () => {
    const dir = temp();
    const plain = executable(path.join(dir, 'plain'), '#!/usr/bin/env node\nconsole.log(1)\n');
    const withFlag = executable(path.join(dir, 'flagged'), '#!/usr/bin/env -S node --no-warnings\n');
    const a = await buildLaunchSpec(input([plain, 'x']));
    expect([a.executable, ...a.args]).toEqual([node, plain, 'x']);
    expect(a.readOnlyPaths).toContain(plain);
    expect(a.readOnlyPaths).not.toContain(dir);
    expect(a.readOnlyPaths).not.toContain(withFlag);
    expect(a.readOnlyWhy?.[plain]).toMatch(/the server script, not in a package/);
    expect(a.notMounted?.map((n) => n.path)).toContain(dir);
    const b = await buildLaunchSpec(input([withFlag]));
    expect([b.executable, ...b.args]).toEqual([node, '--no-warnings', withFlag]);
  });

  it('mounts the package root and hoisted node_modules for the real server-filesystem bin', async () => {
    const spec = await buildLaunchSpec(
      input(['mcp-server-filesystem', '/data'], { hostPath: `${repo}/node_modules/.bin:${nodeDir}` }),
    );
    const pkg = path.join(repo, 'node_modules/@modelcontextprotocol/server-filesystem');
    expect(spec.executable).toBe(node);
    expect(spec.args).toEqual([path.join(pkg, 'dist/index.js'), '/data']);
    // The package lies inside the node_modules mounted for module resolution: that one mount covers it.
    expect(exposes(spec.readOnlyPaths, path.join(pkg, 'dist/index.js'))).toBe(true);
    expect(spec.readOnlyPaths).toContain(path.join(repo, 'node_modules'));
    expect(spec.readOnlyWhy?.[path.join(repo, 'node_modules')]).toMatch(/^module resolution for /);
    expect(spec.readOnlyWhy?.[node]).toBe('the server program');
    expect(exposes(spec.readOnlyPaths, path.join(repo, 'package.json'))).toBe(false);
    expect(exposes(spec.readOnlyPaths, path.join(repo, '.git'))).toBe(false);
  });

  it('runs a symlinked script by its realpath', async () => {
    const spec = await buildLaunchSpec(
      input(['node', path.join(repo, 'node_modules/.bin/mcp-server-filesystem')], { hostPath: nodeDir }),
    );
    expect(spec.args[0]).toBe(
      path.join(repo, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js'),
    );
  });

  it('names what is missing', async () => {
    await expect(buildLaunchSpec(input(['no-such-server-xyz']))).rejects.toMatchObject({
      code: 'resolve-failed',
      message: expect.stringContaining('"no-such-server-xyz" not found on PATH'),
    });
    await expect(buildLaunchSpec(input(['node', '/nope/server.js']))).rejects.toMatchObject({
      code: 'resolve-failed',
      message: 'server script not found: /nope/server.js',
    });
    await expect(buildLaunchSpec(input(['npx', 'some-pkg']))).rejects.toMatchObject({
      code: 'resolve-failed',
      message: expect.stringContaining('add -y'),
    });
  });

  it('npx -y reuses an existing install and runs its bin with the current Node', async () => {
    const cacheDir = temp();
    const dir = npxInstallDir(cacheDir, '@demo/srv@1.0.0');
    const pkg = path.join(dir, 'node_modules/@demo/srv');
    mkdirSync(path.join(pkg, 'bin'), { recursive: true });
    writeFileSync(
      path.join(pkg, 'package.json'),
      JSON.stringify({ name: '@demo/srv', bin: { srv: 'bin/srv.js' } }),
    );
    writeFileSync(path.join(pkg, 'bin/srv.js'), '');
    const progress: string[] = [];
    const spec = await buildLaunchSpec(
      input(['npx', '-y', '@demo/srv@1.0.0', '--root', '/x'], {
        cacheDir,
        onProgress: (l) => progress.push(l),
      }),
    );
    expect(progress).toEqual([]);
    expect([spec.executable, ...spec.args]).toEqual([node, path.join(pkg, 'bin/srv.js'), '--root', '/x']);
    expect(spec.readOnlyPaths).toContain(dir);
    expect(spec.readOnlyWhy?.[dir]).toMatch(/npx install of @demo\/srv@1.0.0/);
    expect(exposes(spec.readOnlyPaths, path.join(pkg, 'bin/srv.js'))).toBe(true);
  });

  it('npx -y reports a failed install with npm’s stderr (offline, registry on loopback only)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_offline: 'true',
      npm_config_fetch_retries: '0',
      npm_config_cache: temp(),
    });
    try {
      const progress: string[] = [];
      await expect(
        buildLaunchSpec(
          input(['npx', '-y', 'mcp-warden-no-such-pkg-zz'], { onProgress: (l) => progress.push(l) }),
        ),
      ).rejects.toMatchObject({
        code: 'resolve-failed',
        message: expect.stringContaining('npm could not install'),
      });
      expect(progress[0]).toContain('installing mcp-warden-no-such-pkg-zz');
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    }
  }, 60_000);
});

describe('buildLaunchSpec: the state home and Python', () => {
  it('gives the server its state home as HOME (an explicit --env HOME wins); none without a state dir', async () => {
    const stateDir = temp();
    const spec = await buildLaunchSpec(input(['node', '-e', '0'], { stateDir, serverName: 'memory' }));
    expect(spec.stateHome).toEqual({
      path: path.join(stateDir, 'homes', 'memory'),
      name: 'memory',
      why: 'named by --name memory',
    });
    expect(spec.env).toEqual({
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: path.join(stateDir, 'homes', 'memory'),
    });
    const own = await buildLaunchSpec(input(['node', '-e', '0'], { stateDir, env: { HOME: '/elsewhere' } }));
    expect(own.env.HOME).toBe('/elsewhere');
    expect(own.stateHome?.name).toMatch(/^node-[0-9a-f]{8}$/);
    expect((await buildLaunchSpec(input(['node', '-e', '0']))).stateHome).toBeUndefined();
  });

  it('derives the name from an npx package, or a script (package name and path hash)', async () => {
    const cacheDir = temp();
    const pkg = path.join(npxInstallDir(cacheDir, '@demo/srv@1.0.0'), 'node_modules/@demo/srv');
    mkdirSync(path.join(pkg, 'bin'), { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@demo/srv', bin: 'bin/srv.js' }));
    writeFileSync(path.join(pkg, 'bin/srv.js'), '');
    const stateDir = temp();
    const npx = await buildLaunchSpec(input(['npx', '-y', '@demo/srv@1.0.0'], { cacheDir, stateDir }));
    expect(npx.stateHome?.name).toBe('npm-demo+srv');
    const script = await buildLaunchSpec(
      input(['node', path.join(repo, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js')], {
        stateDir,
      }),
    );
    expect(script.stateHome?.name).toMatch(/^modelcontextprotocol\+server-memory-[0-9a-f]{8}$/);
  });

  it.runIf(existsSync('/usr/bin/python3'))(
    "runs a venv's interpreter by its name in the venv (so the venv is active), mounted with the venv; no user site",
    async () => {
      const dir = temp();
      execFileSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', path.join(dir, 'venv')]);
      const script = executable(
        path.join(dir, 'venv', 'bin', 'server'),
        `#!${path.join(dir, 'venv', 'bin', 'python3')}\nimport sys\n`,
      );
      const spec = await buildLaunchSpec(
        input([script, '--flag'], { hostPath: '/usr/bin:/bin', stateDir: temp() }),
      );
      expect([spec.executable, ...spec.args]).toEqual([
        path.join(dir, 'venv', 'bin', 'python3'),
        script,
        '--flag',
      ]);
      expect(spec.readOnlyPaths).toContain(path.join(dir, 'venv'));
      expect(spec.readOnlyWhy?.[path.join(dir, 'venv')]).toMatch(
        /the virtualenv of .* active \(sys\.prefix\)/,
      );
      // The script lies in the venv: not mounted twice, not reported as left out.
      expect(spec.readOnlyPaths).not.toContain(script);
      expect(spec.notMounted?.filter((n) => n.path.startsWith(path.join(dir, 'venv')))).toEqual([]);
      expect(spec.env.PYTHONNOUSERSITE).toBe('1');
      expect(spec.stateHome?.name).toMatch(/^server-[0-9a-f]{8}$/);
    },
  );

  it('refuses uvx/pipx forms it would not install safely, as a resolve error', async () => {
    await expect(buildLaunchSpec(input(['uvx', 'git+https://example.invalid/x']))).rejects.toMatchObject({
      code: 'resolve-failed',
      message: expect.stringContaining('not a package index requirement'),
    });
    await expect(
      buildLaunchSpec(input(['uvx', 'some-pkg'], { hostPath: '/nonexistent' })),
    ).rejects.toMatchObject({
      code: 'resolve-failed',
      message: 'uvx needs uv on the host, and uv is not on PATH',
    });
  });
});
