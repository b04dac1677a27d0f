import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  baseInterpreter,
  findVenv,
  linkChain,
  parsePyvenvCfg,
  pythonRunPath,
  venvSitePackages,
} from '../../../../src/sandboxes/launch-spec/python-venv.ts';

const temp = (): string => realpathSync(mkdtempSync(path.join(tmpdir(), 'mcp-warden-venv-')));

/** A venv as `python -m venv` lays it out: bin/python3 → python → BASE, and lib/python3.11/site-packages. */
function fakeVenv(
  dir: string,
  base: string,
  cfg = `home = ${path.dirname(base)}\nversion = 3.11.2\n`,
): string {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  mkdirSync(path.join(dir, 'lib', 'python3.11', 'site-packages'), { recursive: true });
  writeFileSync(path.join(dir, 'pyvenv.cfg'), cfg);
  symlinkSync(base, path.join(dir, 'bin', 'python'));
  symlinkSync('python', path.join(dir, 'bin', 'python3'));
  return dir;
}

/** A stand-in base interpreter: /opt-like dir with bin/python3 → python3.11 (a file). */
function fakeBase(dir: string): string {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  writeFileSync(path.join(dir, 'bin', 'python3.11'), '');
  symlinkSync('python3.11', path.join(dir, 'bin', 'python3'));
  return path.join(dir, 'bin', 'python3');
}

describe('pyvenv.cfg', () => {
  it('parses keys case-insensitively, splitting at the first "="; skips comments and junk', () => {
    expect(
      parsePyvenvCfg(
        'home = /usr/bin\nInclude-System-Site-Packages = TRUE\n# c = d\njunk\nuv = 0.8.0\ncommand = a = b\n',
      ),
    ).toEqual({ home: '/usr/bin', 'include-system-site-packages': 'TRUE', uv: '0.8.0', command: 'a = b' });
  });
});

describe('findVenv and the interpreter path to run', () => {
  it('finds pyvenv.cfg next to bin/ (as CPython does), not by the link target', () => {
    const root = temp();
    const base = fakeBase(path.join(root, 'base'));
    const venv = fakeVenv(path.join(root, 'venv'), base, `home = ${path.dirname(base)}\nuv = 0.8.0\n`);
    const found = findVenv(path.join(venv, 'bin', 'python3'));
    expect(found).toMatchObject({ dir: venv, madeBy: 'uv', systemSitePackages: false });
    expect(findVenv(base)).toBeUndefined();
  });

  it('keeps the venv name of the interpreter (only its directory resolved); elsewhere the real path', () => {
    const root = temp();
    const base = fakeBase(path.join(root, 'base'));
    const venv = fakeVenv(path.join(root, 'venv'), base);
    symlinkSync(venv, path.join(root, 'venv-link'));
    expect(pythonRunPath(path.join(root, 'venv-link', 'bin', 'python3'))).toBe(
      path.join(venv, 'bin', 'python3'),
    );
    expect(pythonRunPath(base)).toBe(path.join(root, 'base', 'bin', 'python3.11'));
  });

  it('lists the links from the venv interpreter to the base binary (Debian: /usr/bin/python3 on the way)', () => {
    const root = temp();
    const base = fakeBase(path.join(root, 'base'));
    const venv = fakeVenv(path.join(root, 'venv'), base);
    expect(linkChain(path.join(venv, 'bin', 'python3'))).toEqual([
      path.join(venv, 'bin', 'python3'),
      path.join(venv, 'bin', 'python'),
      base,
    ]);
  });

  it('finds the site-packages from the layout, and the base interpreter outside the venv (or in `home` for --copies)', () => {
    const root = temp();
    const base = fakeBase(path.join(root, 'base'));
    const venv = fakeVenv(path.join(root, 'venv'), base);
    const info = findVenv(path.join(venv, 'bin', 'python3'));
    if (info === undefined) throw new Error('no venv');
    expect(venvSitePackages(info)).toEqual([path.join(venv, 'lib', 'python3.11', 'site-packages')]);
    expect(baseInterpreter(info, path.join(venv, 'bin', 'python3'))).toBe(
      path.join(root, 'base', 'bin', 'python3.11'),
    );
    // --copies: bin/python3 is a file inside the venv; it is never the one asked (it is the venv's own).
    const copies = fakeVenv(
      path.join(root, 'copies'),
      base,
      `home = ${path.dirname(base)}\nversion_info = 3.11.2\n`,
    );
    const copied = path.join(copies, 'bin', 'python3.11');
    copyFileSync(path.join(root, 'base', 'bin', 'python3.11'), copied);
    const copiesInfo = findVenv(copied);
    if (copiesInfo === undefined) throw new Error('no venv');
    expect(baseInterpreter(copiesInfo, copied)).toBe(path.join(root, 'base', 'bin', 'python3.11'));
    const orphan = fakeVenv(path.join(root, 'orphan'), base, 'home = /nonexistent/bin\n');
    const lone = path.join(orphan, 'bin', 'python3.11');
    copyFileSync(copied, lone);
    const orphanInfo = findVenv(lone);
    if (orphanInfo === undefined) throw new Error('no venv');
    expect(baseInterpreter(orphanInfo, lone)).toBeUndefined();
  });
});
