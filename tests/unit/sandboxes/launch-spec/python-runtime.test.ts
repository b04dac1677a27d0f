import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isPython,
  pythonRuntime,
  usefulSysPath,
} from '../../../../src/sandboxes/launch-spec/python-runtime.ts';

describe('python runtime', () => {
  it('recognises interpreters by name only', () => {
    for (const name of ['/usr/bin/python3', '/usr/bin/python3.11', '/opt/py/bin/python', '/usr/bin/pypy3']) {
      expect(isPython(name), name).toBe(true);
    }
    for (const name of ['/usr/bin/node', '/usr/bin/python3-config', '/usr/bin/pythonista']) {
      expect(isPython(name), name).toBe(false);
    }
  });

  it('mounts the absolute, existing sys.path entries once; never the script directory ("")', () => {
    const exists = (p: string): boolean => p !== '/usr/lib/python311.zip';
    expect(
      usefulSysPath(
        ['', '/usr/lib/python311.zip', '/usr/lib/python3.11', '/usr/lib/python3.11', 'relative'],
        exists,
      ),
    ).toEqual(['/usr/lib/python3.11']);
  });
});

// A real venv (python3 -m venv --without-pip: 40 ms) with .pth files and compiled extension modules.
const PYTHON3 = '/usr/bin/python3';
const CC = ['/usr/bin/cc', '/usr/bin/gcc'].find((file) => existsSync(file));

function venvIn(dir: string): { venv: string; python: string; site: string } {
  execFileSync(PYTHON3, ['-m', 'venv', '--without-pip', dir]);
  const lib = readdirSync(path.join(dir, 'lib'))[0] as string;
  return {
    venv: realpathSync(dir),
    python: path.join(realpathSync(dir), 'bin', 'python3'),
    site: path.join(realpathSync(dir), 'lib', lib, 'site-packages'),
  };
}

/** Compile `name` (a shared object) in `dir`, linked against `links` (other .so in `dir`, found through its rpath). */
function compile(dir: string, name: string, links: string[] = []): string {
  const source = path.join(dir, `${name}.c`);
  writeFileSync(source, `int ${name.replace(/\W/g, '_')}(void) { return 1; }\n`);
  const out = path.join(dir, name);
  execFileSync(CC as string, [
    '-shared',
    '-fPIC',
    '-o',
    out,
    source,
    `-Wl,-rpath,${dir}`,
    '-Wl,--no-as-needed',
    ...links.map((lib) => path.join(dir, lib)),
  ]);
  return out;
}

describe.runIf(existsSync(PYTHON3))('pythonRuntime of a venv', () => {
  const temp = (): string => realpathSync(mkdtempSync(path.join(tmpdir(), 'mcp-warden-pyrt-')));

  it('mounts the venv whole, the base stdlib and the link to the base; runs nothing of the venv on the host', async () => {
    const root = temp();
    const { venv, python, site } = venvIn(path.join(root, 'venv'));
    const marker = path.join(root, 'executed');
    writeFileSync(path.join(site, 'evil.pth'), `import os; open(${JSON.stringify(marker)}, "w")\n`);
    const runtime = await pythonRuntime(python, { cacheDir: temp(), home: '/nonexistent-home' });
    expect(existsSync(marker)).toBe(false);
    const paths = runtime.mounts.map((m) => m.path);
    expect(paths).toContain(venv);
    expect(paths).toContain('/usr/bin/python3'); // venv bin/python3 → /usr/bin/python3 → python3.11
    expect(paths.some((p) => /^\/usr\/lib\/python3\.\d+$/.test(p))).toBe(true);
    // Nothing inside the venv is mounted again, and no site-packages of the base is (not included).
    expect(paths.filter((p) => p !== venv && p.startsWith(`${venv}/`))).toEqual([]);
    expect(paths.some((p) => /dist-packages/.test(p))).toBe(false);
    expect(runtime.venv?.dir).toBe(venv);
  });

  it('mounts what .pth files add as code (no dotfiles), never the home directory', async () => {
    const root = temp();
    const home = path.join(root, 'home');
    const project = path.join(home, 'proj', 'src');
    mkdirSync(path.join(project, 'pkg'), { recursive: true });
    writeFileSync(path.join(project, 'pkg', '__init__.py'), '');
    writeFileSync(path.join(project, '.env'), 'TOKEN=secret');
    const { python, site } = venvIn(path.join(root, 'venv'));
    writeFileSync(path.join(site, '__editable__.proj.pth'), `${project}\n`);
    writeFileSync(path.join(site, 'broad.pth'), `${home}\n`);
    const runtime = await pythonRuntime(python, { cacheDir: temp(), home });
    const paths = runtime.mounts.map((m) => m.path);
    expect(paths).toContain(path.join(project, 'pkg'));
    expect(paths).not.toContain(project);
    expect(paths).not.toContain(home);
    expect(runtime.leftOut.map((l) => l.path)).toEqual(
      expect.arrayContaining([path.join(project, '.env'), home]),
    );
  });

  it('refuses a venv that is the home directory (it would be mounted whole)', async () => {
    const root = temp();
    const { venv, python } = venvIn(path.join(root, 'home'));
    await expect(pythonRuntime(python, { home: venv })).rejects.toThrow(/cannot be mounted whole/);
  });

  it.runIf(CC !== undefined)(
    'mounts the libraries extension modules link, warns about missing ones, and rescans after an install',
    async () => {
      const root = temp();
      const libs = path.join(root, 'libs');
      mkdirSync(libs);
      compile(libs, 'libdep.so');
      compile(libs, 'libgone.so');
      const { python, site } = venvIn(path.join(root, 'venv'));
      mkdirSync(path.join(site, 'ext'));
      compile(libs, 'first.so', ['libdep.so']);
      compile(libs, 'second.so', ['libgone.so']);
      renameSync(
        path.join(libs, 'first.so'),
        path.join(site, 'ext', '_first.cpython-311-x86_64-linux-gnu.so'),
      );
      renameSync(path.join(libs, 'second.so'), path.join(site, 'ext', '_second.abi3.so'));
      rmSync(path.join(libs, 'libgone.so'));
      const cache = temp();
      const first = await pythonRuntime(python, { cacheDir: cache, home: '/nonexistent-home' });
      expect(first.mounts.map((m) => m.path)).toContain(path.join(libs, 'libdep.so'));
      expect(first.warnings.join('\n')).toMatch(
        /_second\.abi3\.so links \S*libgone\.so, which ldd cannot find/,
      );
      // Cached: the same answer without rescanning, even for a library added meanwhile...
      compile(libs, 'libnew.so');
      compile(libs, 'third.so', ['libnew.so']);
      renameSync(path.join(libs, 'third.so'), path.join(site, 'ext', '_third.so'));
      const cached = await pythonRuntime(python, { cacheDir: cache, home: '/nonexistent-home' });
      expect(cached.mounts).toEqual(first.mounts);
      // ...until an install changes site-packages (its mtime): then it is rescanned.
      mkdirSync(path.join(site, 'newpkg'));
      const rescanned = await pythonRuntime(python, { cacheDir: cache, home: '/nonexistent-home' });
      expect(rescanned.mounts.map((m) => m.path)).toContain(path.join(libs, 'libnew.so'));
    },
  );
});
