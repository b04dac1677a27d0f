import { existsSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WardenError } from '../../errors.ts';
import { findOnPath } from '../process/find-on-path.ts';
import type { PythonToolCommand } from './parse-python-tool.ts';

const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;
/** Written last: a venv without it is a failed or interrupted install and is made again. */
const COMPLETE = '.mcp-warden-complete';

/** Where a `uvx` / `pipx run` package lives after installation. */
export interface PythonToolInstall {
  /** The venv (`<cacheDir>/py/<hash>`), mounted read-only and active when the command runs. */
  dir: string;
  /** Absolute path of the console script to run (inside the venv's bin). */
  bin: string;
}

/**
 * Pure: the venv directory for `command` under `cacheDir`: one per (tool, requirement, extras,
 * interpreter). The name is short on purpose: a console script's `#!` line holds the venv's path, and
 * the kernel reads only 127 bytes of it.
 */
export function pythonToolDir(cacheDir: string, command: PythonToolCommand): string {
  const key = JSON.stringify([command.tool, command.requirement, command.with, command.python ?? '']);
  const hash = process.getBuiltinModule('node:crypto').createHash('sha256').update(key).digest('hex');
  return path.join(cacheDir, 'py', hash.slice(0, 16));
}

/**
 * Install `command`'s package on the host into a venv in the warden's cache, unless already there,
 * and find its console script. Only wheels are installed (`uv pip install --no-build`, `pip install
 * --only-binary :all:`): building a source distribution runs the package's code on the host, and a
 * wheel never does. `uvx`/`uv tool run` need uv on `hostPath` (`uv venv`, then `uv pip install`);
 * `pipx run` is done the way pipx does it, with the venv module and pip of the interpreter asked for
 * (--python, else python3 on `hostPath`), so pipx itself need not be installed. The installers run with
 * the warden's environment (the user's index and proxy settings: host-side and trusted).
 * Throws WardenError('resolve-failed') with the installer's last stderr lines.
 */
export async function installPythonTool(
  command: PythonToolCommand,
  cacheDir: string,
  hostPath: string,
  onProgress?: (line: string) => void,
): Promise<PythonToolInstall> {
  const dir = pythonToolDir(cacheDir, command);
  if (!existsSync(path.join(dir, COMPLETE))) {
    rmSync(dir, { recursive: true, force: true });
    const wanted = [command.requirement, ...command.with].join(' ');
    onProgress?.(`installing ${wanted} into ${dir} (wheels only: no package code runs on the host)`);
    const steps = command.tool === 'uv' ? uvSteps(command, dir, hostPath) : pipSteps(command, dir, hostPath);
    const { execa } = await import('execa'); // only on an install: execa is slow to load
    for (const [file, args] of steps) {
      const result = await execa(file, args, { reject: false, timeout: INSTALL_TIMEOUT_MS, stdin: 'ignore' });
      if (result.exitCode !== 0) {
        rmSync(dir, { recursive: true, force: true });
        const tail = `${result.stderr}`.trim().split('\n').slice(-8).join('\n');
        throw new WardenError(
          'resolve-failed',
          `${path.basename(file)} could not install ${wanted}${tail ? `:\n${tail}` : ''}`,
          {
            hint: 'check the package name and the index settings; a package without a wheel for this platform must be installed by you into a venv (then run its script)',
            exitCode: result.exitCode,
            timedOut: result.timedOut,
          },
        );
      }
    }
    writeFileSync(path.join(dir, COMPLETE), `${command.requirement}\n`);
  }
  return { dir, bin: findConsoleScript(dir, command.command) };
}

type Step = [file: string, args: string[]];

function uvSteps(command: PythonToolCommand, dir: string, hostPath: string): Step[] {
  const uv = findOnPath('uv', hostPath);
  if (uv === undefined) {
    throw new WardenError('resolve-failed', 'uvx needs uv on the host, and uv is not on PATH', {
      hint: 'install uv (https://docs.astral.sh/uv/), or create a venv yourself and run its script',
    });
  }
  return [
    [uv, ['venv', '--quiet', ...(command.python === undefined ? [] : ['--python', command.python]), dir]],
    [
      uv,
      [
        'pip',
        'install',
        '--quiet',
        '--no-build',
        '--python',
        path.join(dir, 'bin', 'python'),
        command.requirement,
        ...command.with,
      ],
    ],
  ];
}

function pipSteps(command: PythonToolCommand, dir: string, hostPath: string): Step[] {
  const wanted = command.python ?? 'python3';
  const python = findOnPath(wanted, hostPath);
  if (python === undefined) {
    throw new WardenError('resolve-failed', `pipx run needs ${wanted} on the host, and it is not on PATH`, {
      hint: 'install Python 3 (with its venv module), or name one with --python',
    });
  }
  return [
    [python, ['-m', 'venv', dir]],
    [
      path.join(dir, 'bin', 'python'),
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--only-binary',
        ':all:',
        command.requirement,
        ...command.with,
      ],
    ],
  ];
}

/** The console script `name` in the venv's bin; else, the only one there is. */
function findConsoleScript(dir: string, name: string): string {
  const bin = path.join(dir, 'bin');
  const named = path.join(bin, name);
  if (existsSync(named)) return realpathSync(named);
  const scripts = safeList(bin).filter(
    (file) => !/^(python|pip|activate|Activate|easy_install|pydoc)/.test(file),
  );
  if (scripts.length === 1) return realpathSync(path.join(bin, scripts[0] as string));
  throw new WardenError('resolve-failed', `the installed package has no command named ${name}`, {
    hint:
      scripts.length === 0
        ? 'it installs no console script: run it with python -m MODULE and the venv interpreter'
        : `name one of its commands: ${scripts.join(', ')} (uvx --from PACKAGE COMMAND, pipx run --spec PACKAGE COMMAND)`,
  });
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
