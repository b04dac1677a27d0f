import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_IMPORTED_FILES } from '../../../../src/sandboxes/launch-spec/script-imports.ts';
import {
  findCodeHome,
  isModuleMarker,
  isTooBroad,
} from '../../../../src/sandboxes/launch-spec/package-root.ts';
import { serverCodePaths } from '../../../../src/sandboxes/launch-spec/server-code-paths.ts';

const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'warden-code-')));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let seq = 0;
/** A fresh directory under `base`, with `files` (path → content; content null makes a directory). */
function tree(files: Record<string, string | null>): string {
  const dir = path.join(base, `t${seq++}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    if (content === null) mkdirSync(file, { recursive: true });
    else {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  }
  return dir;
}

const HOME = '/nonexistent-home';
const code = (script: string, language: 'node' | 'python' = 'node') =>
  serverCodePaths(script, { home: HOME, language });
const mounted = (script: string, language?: 'node' | 'python') =>
  code(script, language).mounts.map((m) => m.path);
/** True when `file` is visible through one of the mounts. */
const exposes = (mounts: string[], file: string) =>
  mounts.some((m) => file === m || file.startsWith(`${m}/`));

describe('serverCodePaths: the server package', () => {
  it('mounts a clean package directory whole, with its node_modules', () => {
    const dir = tree({
      'package.json': '{"name":"proj"}',
      'dist/server.js': '',
      'node_modules/dep/index.js': '',
    });
    const paths = mounted(path.join(dir, 'dist/server.js'));
    expect(paths).toContain(dir);
    expect(paths).toContain(path.join(dir, 'node_modules'));
  });

  it('leaves out dotfiles and nested packages, mounting the rest entry by entry', () => {
    const dir = tree({
      'package.json': '{"name":"proj"}',
      '.env': 'TOKEN=x',
      '.git/config': '',
      'dist/server.js': '',
      'dist/.secret': '',
      'dist/lib/util.js': '',
      'tools/other/package.json': '{"name":"other"}',
      'tools/other/index.js': '',
      'README.md': '',
    });
    const result = code(path.join(dir, 'dist/server.js'));
    const paths = result.mounts.map((m) => m.path);
    expect(paths).not.toContain(dir);
    for (const hidden of ['.env', '.git/config', 'dist/.secret', 'tools/other/index.js'])
      expect(exposes(paths, path.join(dir, hidden)), hidden).toBe(false);
    for (const needed of ['package.json', 'dist/server.js', 'dist/lib/util.js', 'README.md'])
      expect(exposes(paths, path.join(dir, needed)), needed).toBe(true);
    expect(result.leftOut.map((l) => l.path)).toEqual(
      expect.arrayContaining([
        path.join(dir, '.env'),
        path.join(dir, 'dist/.secret'),
        path.join(dir, 'tools/other'),
      ]),
    );
    expect(result.leftOut.find((l) => l.path === path.join(dir, 'tools/other'))?.why).toMatch(
      /another package/,
    );
  });

  it('never binds a symlink inside a split package (its target would be exposed)', () => {
    const dir = tree({ 'package.json': '{"name":"p"}', '.env': '', 'server.js': '' });
    symlinkSync('/etc/passwd', path.join(dir, 'passwd-link'));
    const paths = mounted(path.join(dir, 'server.js'));
    expect(paths).not.toContain(path.join(dir, 'passwd-link'));
    expect(paths).not.toContain('/etc/passwd');
  });

  it('descends into a dot-directory that holds the script (build outputs such as .output/)', () => {
    const dir = tree({
      'package.json': '{"name":"p"}',
      '.output/server/index.mjs': '',
      '.output/server/chunk.mjs': '',
      '.output/.env': '',
      '.env': '',
    });
    const paths = mounted(path.join(dir, '.output/server/index.mjs'));
    expect(exposes(paths, path.join(dir, '.output/server/chunk.mjs'))).toBe(true);
    expect(exposes(paths, path.join(dir, '.output/.env'))).toBe(false);
    expect(exposes(paths, path.join(dir, '.env'))).toBe(false);
  });

  it('a nameless workspace package is its own package; the workspace root is never mounted', () => {
    const mono = tree({
      'package.json': '{"name":"mono","workspaces":["packages/*"]}',
      '.env': 'TOKEN=x',
      'secrets/x': 'x',
      'packages/srv/package.json': '{"private":true,"type":"module"}',
      'packages/srv/dist/server.mjs': '',
      'packages/other/package.json': '{"name":"other"}',
      'node_modules/dep/index.js': '',
    });
    const paths = mounted(path.join(mono, 'packages/srv/dist/server.mjs'));
    expect(paths).toContain(path.join(mono, 'packages/srv'));
    expect(paths).toContain(path.join(mono, 'node_modules'));
    for (const hidden of ['.env', 'secrets/x', 'packages/other/package.json', 'package.json'])
      expect(exposes(paths, path.join(mono, hidden)), hidden).toBe(false);
  });

  it('a module-format marker package.json is skipped for the named package above it', () => {
    const dir = tree({
      'package.json': '{"name":"p"}',
      'dist/package.json': '{"type":"module"}',
      'dist/s.js': '',
    });
    expect(mounted(path.join(dir, 'dist/s.js'))).toContain(dir);
    expect(isModuleMarker({ type: 'module' })).toBe(true);
    expect(isModuleMarker({ private: true, type: 'module' })).toBe(false);
    expect(isModuleMarker({ name: 'x' })).toBe(false);
  });

  it('a marker right below a workspace root is the package (the nearest package.json)', () => {
    const mono = tree({
      'pnpm-workspace.yaml': 'packages: ["packages/*"]',
      'package.json': '{"name":"mono"}',
      '.env': '',
      'packages/srv/package.json': '{"type":"module"}',
      'packages/srv/server.js': '',
    });
    const home = findCodeHome(path.join(mono, 'packages/srv'), 'node', HOME);
    expect(home).toMatchObject({ kind: 'package', dir: path.join(mono, 'packages/srv') });
  });

  it('a script inside node_modules (npx, global installs) is covered by that node_modules mount', () => {
    const prefix = tree({
      'node_modules/@s/srv/package.json': '{"name":"@s/srv"}',
      'node_modules/@s/srv/bin.js': '',
    });
    const result = code(path.join(prefix, 'node_modules/@s/srv/bin.js'));
    expect(result.mounts.map((m) => m.path)).toEqual([path.join(prefix, 'node_modules')]);
    expect(result.mounts[0]?.why).toMatch(/module resolution/);
  });
});

describe('serverCodePaths: lone scripts', () => {
  // Regression: a package.json left in $HOME made the whole home directory (with ~/.ssh) the
  // "package root" and mounted it into the sandbox.
  it('never mounts the home directory: a script under a stray $HOME/package.json gets only itself', () => {
    const home = tree({ 'package.json': '{"name":"oops"}', '.ssh/id_rsa': '', 'scripts/server.js': '' });
    const script = path.join(home, 'scripts', 'server.js');
    const paths = serverCodePaths(script, { home }).mounts.map((m) => m.path);
    expect(paths).toEqual([script]);
  });

  it('a script in a shared directory gets itself and the JS files it imports below its directory', () => {
    const dir = tree({
      'server.mjs':
        "import './lib/a.js';\nimport data from './notes.json' with { type: 'json' };\nimport '../outside.js';",
      'lib/a.js': "const b = require('./b.cjs'); import('./c.mjs');",
      'lib/b.cjs': '',
      'lib/c.mjs': '',
      'notes.json': '{"token":"x"}',
      '.hidden/x.js': '',
      'neighbour.txt': 'private',
    });
    writeFileSync(path.join(base, 'outside.js'), '');
    symlinkSync('../notes.json', path.join(dir, 'lib', 'sneaky.js'));
    writeFileSync(path.join(dir, 'lib/d.js'), "import './sneaky.js'; import '../.hidden/x.js';");
    writeFileSync(path.join(dir, 'server.mjs'), `${'import "./lib/d.js";\n'}${'import "./lib/a.js";\n'}`, {
      flag: 'a',
    });
    const result = code(path.join(dir, 'server.mjs'));
    const paths = result.mounts.map((m) => m.path);
    expect(paths).toEqual(
      expect.arrayContaining(
        ['server.mjs', 'lib/a.js', 'lib/b.cjs', 'lib/c.mjs', 'lib/d.js'].map((f) => path.join(dir, f)),
      ),
    );
    for (const hidden of [
      dir,
      'notes.json',
      'neighbour.txt',
      '.hidden/x.js',
      'lib/sneaky.js',
      '../outside.js',
    ])
      expect(paths).not.toContain(path.resolve(dir, hidden));
    expect(result.mounts.find((m) => m.path === path.join(dir, 'lib/b.cjs'))?.why).toBe(
      `imported by ${path.join(dir, 'lib/a.js')}`,
    );
    expect(result.leftOut.map((l) => l.path)).toContain(dir);
  });

  it('follows at most MAX_IMPORTED_FILES files', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < MAX_IMPORTED_FILES + 20; i++) files[`m${i}.js`] = `import './m${i + 1}.js';`;
    const dir = tree({ ...files, 'server.mjs': "import './m0.js';" });
    expect(mounted(path.join(dir, 'server.mjs')).length).toBeLessThanOrEqual(MAX_IMPORTED_FILES);
  });

  it('a lone Python script gets itself and the sibling modules and packages it imports', () => {
    const dir = tree({
      'server.py': 'import json, helper\nfrom tools.sub import x\nimport os.path as p\n',
      'helper.py': 'import secondary\n',
      'secondary.py': '',
      'tools/__init__.py': '',
      'tools/sub.py': '',
      'tools/.env': '',
      'config.py.bak': '',
      'notes.txt': '',
    });
    const paths = mounted(path.join(dir, 'server.py'), 'python');
    for (const needed of ['server.py', 'helper.py', 'secondary.py', 'tools/__init__.py', 'tools/sub.py'])
      expect(exposes(paths, path.join(dir, needed)), needed).toBe(true);
    for (const hidden of [dir, 'tools/.env', 'notes.txt', 'config.py.bak'])
      expect(exposes(paths, path.resolve(dir, hidden)), hidden).toBe(false);
  });

  it('a Python script in a project (pyproject.toml) gets the project minus dotfiles', () => {
    const dir = tree({ 'pyproject.toml': '', 'src/server.py': '', '.env': '' });
    const paths = mounted(path.join(dir, 'src/server.py'), 'python');
    expect(exposes(paths, path.join(dir, 'src/server.py'))).toBe(true);
    expect(exposes(paths, path.join(dir, '.env'))).toBe(false);
  });
});

describe('serverCodePaths: workspace links', () => {
  function workspace(): string {
    const mono = tree({
      'package.json': '{"name":"mono","workspaces":["packages/*"]}',
      '.env': '',
      'packages/srv/package.json': '{"name":"@m/srv","dependencies":{"@m/lib":"*","plain":"1"}}',
      'packages/srv/server.js': '',
      'packages/lib/package.json': '{"name":"@m/lib","dependencies":{"@m/util":"*"}}',
      'packages/lib/index.js': '',
      'packages/lib/.env': '',
      'packages/util/package.json': '{"name":"@m/util"}',
      'packages/util/index.js': '',
      'packages/other/package.json': '{"name":"@m/other"}',
      'node_modules/plain/package.json': '{"name":"plain"}',
      'node_modules/@m': null,
    });
    for (const name of ['srv', 'lib', 'util', 'other'])
      symlinkSync(`../../packages/${name}`, path.join(mono, 'node_modules/@m', name));
    return mono;
  }

  it('mounts the linked packages the server depends on (transitively), and no others', () => {
    const mono = workspace();
    const result = code(path.join(mono, 'packages/srv/server.js'));
    const paths = result.mounts.map((m) => m.path);
    expect(exposes(paths, path.join(mono, 'packages/lib/index.js'))).toBe(true);
    expect(exposes(paths, path.join(mono, 'packages/util/index.js'))).toBe(true);
    expect(exposes(paths, path.join(mono, 'packages/other/package.json'))).toBe(false);
    expect(exposes(paths, path.join(mono, 'packages/lib/.env'))).toBe(false);
    expect(exposes(paths, path.join(mono, '.env'))).toBe(false);
    expect(result.mounts.find((m) => m.path === path.join(mono, 'packages/util'))?.why).toMatch(
      /workspace package @m\/util, a dependency of @m\/lib/,
    );
  });

  it('refuses links that leave the workspace or lead to another package than named', () => {
    const mono = workspace();
    const elsewhere = tree({ 'package.json': '{"name":"evil"}', id_rsa: 'key' });
    symlinkSync(elsewhere, path.join(mono, 'node_modules/evil'));
    symlinkSync('../packages/other', path.join(mono, 'node_modules/liar'));
    writeFileSync(
      path.join(mono, 'packages/srv/package.json'),
      '{"name":"@m/srv","dependencies":{"evil":"*","liar":"*","../../..":"*"}}',
    );
    const result = code(path.join(mono, 'packages/srv/server.js'));
    const paths = result.mounts.map((m) => m.path);
    expect(exposes(paths, path.join(elsewhere, 'id_rsa'))).toBe(false);
    expect(exposes(paths, path.join(mono, 'packages/other/package.json'))).toBe(false);
    expect(result.leftOut.find((l) => l.path === elsewhere)?.why).toMatch(/outside the server's workspace/);
    expect(result.leftOut.find((l) => l.path === path.join(mono, 'packages/other'))?.why).toMatch(
      /not the package liar/,
    );
  });

  it('a node_modules that is a link to something else than node_modules is not mounted', () => {
    const dir = tree({ 'package.json': '{"name":"p"}', 'server.js': '', 'secret/id_rsa': '' });
    symlinkSync(path.join(dir, 'secret'), path.join(dir, 'node_modules'));
    const result = code(path.join(dir, 'server.js'));
    // The package itself is mounted whole (the link inside shows nothing in a sandbox), never the target as node_modules.
    expect(result.mounts.find((m) => m.path === path.join(dir, 'node_modules'))).toBeUndefined();
  });
});

describe('findCodeHome and isTooBroad', () => {
  it('treats /, the home directory and its ancestors, and shared directories as too broad', () => {
    expect(isTooBroad('/', '/home/me')).toBe(true);
    expect(isTooBroad('/home', '/home/me')).toBe(true);
    expect(isTooBroad('/home/me', '/home/me')).toBe(true);
    expect(isTooBroad(base, '/home/me')).toBe(false);
    const shared = tree({});
    chmodSync(shared, 0o1777);
    expect(isTooBroad(shared, '/home/me')).toBe(true);
    expect(isTooBroad(os.tmpdir(), '/home/me')).toBe(true);
  });

  it('a package.json planted in a shared directory does not make it a package', () => {
    const shared = tree({ 'package.json': '{"name":"planted"}', 'server.js': '' });
    chmodSync(shared, 0o1777);
    expect(findCodeHome(shared, 'node', HOME)).toMatchObject({ kind: 'lone' });
  });
});
