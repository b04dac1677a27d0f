import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isTooBroad, serverCodePaths } from '../../../../src/sandboxes/launch-spec/server-code-paths.ts';

const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'warden-code-')));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('serverCodePaths', () => {
  it('mounts the package root of a script inside a package', () => {
    const pkg = path.join(base, 'proj');
    mkdirSync(path.join(pkg, 'dist'), { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), '{"name":"proj"}');
    writeFileSync(path.join(pkg, 'dist', 'server.js'), '');
    expect(serverCodePaths(path.join(pkg, 'dist', 'server.js'), '/nonexistent-home')).toContain(pkg);
  });

  // Regression: a package.json left in $HOME made the whole home directory (with ~/.ssh) the
  // "package root" and mounted it into the sandbox.
  it('never mounts the home directory: a script under a stray $HOME/package.json gets only itself', () => {
    const home = path.join(base, 'home');
    mkdirSync(path.join(home, 'scripts'), { recursive: true });
    mkdirSync(path.join(home, '.ssh'));
    writeFileSync(path.join(home, 'package.json'), '{"name":"oops"}');
    const script = path.join(home, 'scripts', 'server.js');
    writeFileSync(script, '');
    const paths = serverCodePaths(script, home);
    expect(paths).toContain(script);
    expect(paths).not.toContain(home);
    expect(paths.some((p) => home.startsWith(p) && p !== script)).toBe(false);
  });

  it('treats /, the home directory and its ancestors as too broad', () => {
    expect(isTooBroad('/', '/home/me')).toBe(true);
    expect(isTooBroad('/home', '/home/me')).toBe(true);
    expect(isTooBroad('/home/me', '/home/me')).toBe(true);
    expect(isTooBroad('/home/me/proj', '/home/me')).toBe(false);
    expect(isTooBroad('/home/meta', '/home/me')).toBe(false);
  });
});
