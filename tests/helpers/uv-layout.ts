// uv's virtualenv layout, reproduced without uv (it cannot be installed on every test machine): used by
// tests/helpers/python-venvs.ts and by the fake `uv` of tests/fixtures/fake-uv.mjs. No test-runner
// imports: the fake runs as a plain Node script.
import { spawnSync } from 'node:child_process';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Rewrite a fresh `python -m venv --without-pip DIR` (made by `base`) into the layout `uv venv` writes
 * (as of uv 0.8): pyvenv.cfg with `uv = ...`, `home` and `version_info`; bin/python a link straight to
 * the base interpreter, python3 and pythonX.Y links to it; uv's `_virtualenv.pth`/`_virtualenv.py` in
 * site-packages; `.gitignore` and `CACHEDIR.TAG` at the top. No pip inside.
 */
export function makeUvLayout(dir: string, base: string): void {
  const version = spawnSync(
    base,
    ['-I', '-S', '-c', 'import sys; print(".".join(map(str, sys.version_info[:3])))'],
    { encoding: 'utf8' },
  ).stdout.trim();
  const [major, minor] = version.split('.');
  writeFileSync(
    path.join(dir, 'pyvenv.cfg'),
    [
      `home = ${path.dirname(base)}`,
      'implementation = CPython',
      'uv = 0.8.0',
      `version_info = ${version}`,
      'include-system-site-packages = false',
      '',
    ].join('\n'),
  );
  for (const name of ['python', 'python3', `python${major}.${minor}`]) {
    rmSync(path.join(dir, 'bin', name), { force: true });
    symlinkSync(name === 'python' ? base : 'python', path.join(dir, 'bin', name));
  }
  const site = path.join(dir, 'lib', `python${major}.${minor}`, 'site-packages');
  writeFileSync(path.join(site, '_virtualenv.pth'), 'import _virtualenv\n');
  writeFileSync(
    path.join(site, '_virtualenv.py'),
    '"""Patches distutils for virtualenvs (uv writes this file)."""\n',
  );
  writeFileSync(path.join(dir, '.gitignore'), '*\n');
  writeFileSync(path.join(dir, 'CACHEDIR.TAG'), 'Signature: 8a477f597d28d172789f06886806bc55\n');
}
