import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { WardenError, errorMessage } from '../../errors.ts';
import { findOnPath } from '../process/find-on-path.ts';
import { parseExecTrampoline, parseShebang } from './parse-shebang.ts';
import { isPython } from './python-runtime.ts';
import { pythonRunPath } from './python-venv.ts';

/** Interpreters of interpreters (a script whose interpreter is a script...) end here, like the kernel. */
const MAX_SHEBANG_DEPTH = 4;

/**
 * Resolve `command` (program name or path, then arguments) to a directly executable argv: the program
 * is looked up on `hostPath` and replaced by its realpath; a `#!` script becomes
 * [interpreter, ...interpreter args, script, ...args], recursively (pip's and uv's `/bin/sh` launcher
 * for long interpreter paths counts as a `#!` line naming its Python). A Python interpreter inside a
 * virtualenv keeps its name in the venv (see pythonRunPath): run by its link target, the venv would
 * not be active. Throws WardenError('resolve-failed') naming the program when it cannot be found or
 * its interpreter line cannot be run.
 */
export function resolveCommand(command: readonly string[], hostPath: string, depth = 0): string[] {
  const [program, ...args] = command;
  if (program === undefined || program === '')
    throw new WardenError('resolve-failed', 'no server command given');
  const found = findOnPath(program, hostPath);
  if (found === undefined) {
    throw new WardenError(
      'resolve-failed',
      program.includes('/')
        ? `server program not found or not executable: ${program}`
        : `server program "${program}" not found on PATH`,
      { hint: program.includes('/') ? 'check the path and its execute bit' : `PATH searched: ${hostPath}` },
    );
  }
  const real = realpathSync(found);
  let shebang;
  const [first, second] = readFirstLines(real);
  try {
    const trampoline = parseExecTrampoline(first, second);
    shebang = trampoline === undefined ? parseShebang(first) : { interpreter: trampoline, args: [] };
  } catch (error) {
    throw new WardenError('resolve-failed', `cannot run ${program}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (shebang === undefined)
    return [isPython(found) || isPython(real) ? pythonRunPath(found) : real, ...args];
  if (depth >= MAX_SHEBANG_DEPTH)
    throw new WardenError('resolve-failed', `${program}: too many levels of #!`);
  const interpreter = resolveCommand([shebang.interpreter, ...shebang.args], hostPath, depth + 1);
  return [...interpreter, real, ...args];
}

/** The first two lines of a file (each cut at 1 KiB of the file): its `#!` line and what follows. */
function readFirstLines(file: string): [string, string] {
  const buffer = Buffer.alloc(1024);
  const fd = openSync(file, 'r');
  try {
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    const [first = '', second = ''] = buffer.subarray(0, length).toString('latin1').split('\n');
    return [first, second];
  } finally {
    closeSync(fd);
  }
}
