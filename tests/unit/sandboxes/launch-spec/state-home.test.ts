import {
  mkdtempSync,
  mkdirSync,
  realpathSync,
  statSync,
  writeFileSync,
  symlinkSync,
  lstatSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkServerName,
  ensureStateHome,
  stateHomeName,
  stateHomePath,
} from '../../../../src/sandboxes/launch-spec/state-home.ts';

const temp = (): string => realpathSync(mkdtempSync(path.join(tmpdir(), 'mcp-warden-home-')));

describe('stateHomeName', () => {
  it('uses --name as given', () => {
    expect(stateHomeName({ kind: 'explicit', name: 'memory' })).toEqual({
      name: 'memory',
      why: 'named by --name memory',
    });
  });

  it('names an installed package by its package name alone (an upgrade keeps the data)', () => {
    expect(stateHomeName({ kind: 'npm', package: '@modelcontextprotocol/server-memory' }).name).toBe(
      'npm-modelcontextprotocol+server-memory',
    );
    expect(stateHomeName({ kind: 'pypi', package: 'mcp-server-time' }).name).toBe('pypi-mcp-server-time');
  });

  it('names a script, module or program with a hash of its path: two servers never share a home', () => {
    const a = stateHomeName({ kind: 'script', script: '/srv/a/dist/index.js', packageName: 'server-x' }).name;
    const b = stateHomeName({ kind: 'script', script: '/srv/b/dist/index.js', packageName: 'server-x' }).name;
    expect(a).toMatch(/^server-x-[0-9a-f]{8}$/);
    expect(b).not.toBe(a);
    expect(
      stateHomeName({ kind: 'script', script: '/opt/tool/my server.py', packageName: undefined }).name,
    ).toMatch(/^my-server-[0-9a-f]{8}$/);
    expect(
      stateHomeName({ kind: 'module', module: 'mcp_server_git', interpreter: '/v/bin/python' }).name,
    ).toMatch(/^mcp_server_git-[0-9a-f]{8}$/);
    expect(stateHomeName({ kind: 'program', program: '/usr/bin/.hidden' }).name).toMatch(
      /^hidden-[0-9a-f]{8}$/,
    );
  });

  it('lives under STATE/homes', () => expect(stateHomePath('/s', 'memory')).toBe('/s/homes/memory'));
});

describe('checkServerName', () => {
  it.each(['memory', 'my.server_2', 'A'])('accepts %s', (name) => expect(checkServerName(name)).toBe(name));
  it.each(['', '.', '..', '../x', 'a/b', '.hidden', '-x', 'x'.repeat(65), 'sp ace'])('refuses %j', (name) => {
    expect(() => checkServerName(name)).toThrow(/not a valid server name/);
  });
});

describe('ensureStateHome', () => {
  it('creates the home (and homes/) mode 0700, owned by the warden user; twice is fine', async () => {
    const state = temp();
    const home = stateHomePath(state, 'x');
    expect(await ensureStateHome(home)).toEqual([]);
    expect(await ensureStateHome(home)).toEqual([]);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(path.dirname(home)).mode & 0o777).toBe(0o700);
    expect(statSync(home).uid).toBe(process.getuid?.());
  });

  it('refuses a home that is not a directory (a planted link or file)', async () => {
    const state = temp();
    mkdirSync(path.join(state, 'homes'));
    symlinkSync('/etc', path.join(state, 'homes', 'linked'));
    await expect(ensureStateHome(path.join(state, 'homes', 'linked'))).rejects.toThrow(/not a directory/);
    writeFileSync(path.join(state, 'homes', 'file'), '');
    await expect(ensureStateHome(path.join(state, 'homes', 'file'))).rejects.toThrow(
      /cannot create|not a directory/,
    );
  });

  it.runIf(process.getuid?.() === 0)(
    'as root, hands a home to the sandbox user, links inside changed themselves and never followed',
    async () => {
      const state = temp();
      const home = stateHomePath(state, 'x');
      await ensureStateHome(home);
      mkdirSync(path.join(home, '.cache'));
      writeFileSync(path.join(home, '.cache', 'data'), 'x');
      const outside = path.join(temp(), 'victim');
      writeFileSync(outside, 'not yours');
      symlinkSync(outside, path.join(home, 'link'));
      expect(await ensureStateHome(home, { uid: 65534, gid: 65534 })).toEqual([]);
      for (const file of [home, path.join(home, '.cache'), path.join(home, '.cache', 'data')]) {
        expect(statSync(file).uid, file).toBe(65534);
      }
      expect(lstatSync(path.join(home, 'link')).uid).toBe(65534);
      expect(statSync(outside).uid).toBe(0);
    },
  );
});
