import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedRoot } from '../../config/root.ts';
import { WardenError } from '../../errors.ts';
import type { LaunchSpec, Limits } from '../types.ts';
import { BASELINE_ENV } from './baseline-env.ts';
import { installNpxPackage } from './npx-install.ts';
import { parseNpx } from './parse-npx.ts';
import { isPython, pythonRuntimePaths } from './python-runtime.ts';
import { resolveCommand } from './resolve-command.ts';
import { runtimeLibraries } from './runtime-libraries.ts';
import { serverCodePaths } from './server-code-paths.ts';

/** What the user asked to run, and where; everything is resolved on the host. */
export interface LaunchInput {
  /** The server command: program (name or path) and arguments; `npx -y PKG ...` is special-cased. */
  command: string[];
  /** Roots in order; the first is the working directory. Empty: cwd is /tmp. */
  roots: ResolvedRoot[];
  /** The --env allowlist, resolved to values; the server gets these plus BASELINE_ENV, nothing else. */
  env: Record<string, string>;
  limits: Limits;
  network: boolean;
  /** The warden's cache directory (npx installs go under `npx/`). */
  cacheDir: string;
  /** The PATH used to find the server program on the host (never passed to the server). */
  hostPath: string;
  /** Progress lines for slow steps (npx install); undefined: silent. */
  onProgress?: (line: string) => void;
  /** Things the user must know about what is mounted (for stderr); undefined: dropped. */
  onWarning?: (line: string) => void;
}

// Interpreters whose first non-option argument is a script file to mount with its package.
const SCRIPT_INTERPRETERS = /^(node|nodejs|bun|deno|python[0-9.]*|pypy[0-9.]*)$/;

/**
 * Resolve the user's command into a LaunchSpec: the real executable (shebangs followed, `npx -y`
 * installed on the host into the cache and run with the current Node), the files it needs read-only
 * (itself, its shared libraries, the server's code: see serverCodePaths), exactly the given env plus
 * BASELINE_ENV, and the cwd. Throws WardenError('resolve-failed') with a message naming what is missing.
 */
export async function buildLaunchSpec(input: LaunchInput): Promise<LaunchSpec> {
  // Every read-only path with the reason it is mounted (the first reason given wins).
  const readOnly = new Map<string, string>();
  const mount = (file: string, why: string): void => {
    if (!readOnly.has(file)) readOnly.set(file, why);
  };
  let notMounted: LaunchSpec['notMounted'] = [];
  let argv: string[];
  const [program, ...rest] = input.command;
  if (program !== undefined && path.basename(program) === 'npx') {
    let npx;
    try {
      npx = parseNpx(rest);
    } catch (error) {
      throw new WardenError('resolve-failed', (error as Error).message, { cause: error });
    }
    const installed = await installNpxPackage(npx, input.cacheDir, input.onProgress);
    mount(installed.dir, `npx install of ${npx.spec} (the warden's cache)`);
    mount(realpathSync(installed.dir), `npx install of ${npx.spec} (the warden's cache, real path)`);
    argv = [realpathSync(process.execPath), installed.bin, ...npx.args];
  } else {
    argv = resolveCommand(input.command, input.hostPath);
  }
  const [executable, ...args] = argv as [string, ...string[]];
  const runtimePaths = await runtimeLibraries(executable, input.cacheDir);
  for (const file of runtimePaths)
    mount(file, file === executable ? 'the server program' : `shared library of ${executable}`);
  // A Python interpreter also needs its standard library and site-packages (sys.path).
  if (isPython(executable)) {
    const python = await pythonRuntimePaths(executable, input.cacheDir);
    runtimePaths.push(...python);
    for (const file of python) mount(file, `Python runtime of ${executable} (sys.path, extension libraries)`);
  }

  const scriptIndex = findScriptArgument(executable, args);
  if (scriptIndex !== undefined) {
    // The script runs by its realpath: Node resolves imports from the main module's realpath anyway,
    // and inside the sandbox a bound symlink is a plain file, so the link's own path would resolve
    // imports from the wrong directory.
    const script = realpathSync(args[scriptIndex] as string);
    args[scriptIndex] = script;
    const code = serverCodePaths(script, { language: isPython(executable) ? 'python' : 'node' });
    for (const { path: file, why } of code.mounts) mount(file, why);
    notMounted = code.leftOut;
    for (const warning of code.warnings) input.onWarning?.(warning);
  }

  return {
    executable,
    args,
    env: { ...BASELINE_ENV, ...input.env },
    roots: input.roots,
    readOnlyPaths: [...readOnly.keys()],
    runtimePaths,
    readOnlyWhy: Object.fromEntries(readOnly),
    notMounted,
    cwd: input.roots[0]?.path ?? '/tmp',
    limits: input.limits,
    network: input.network,
  };
}

/**
 * The index in `args` of the script an interpreter runs: the first non-option argument, if it is an
 * existing file. A first non-option argument that names no file is an error for a script interpreter
 * (the server would fail inside the sandbox with a less clear message).
 */
function findScriptArgument(executable: string, args: string[]): number | undefined {
  if (!SCRIPT_INTERPRETERS.test(path.basename(executable))) return undefined;
  const index = args.findIndex((arg) => !arg.startsWith('-'));
  // `node -e CODE` / `python -c CODE`: the first non-option argument is code, not a script.
  if (index < 0 || args.slice(0, index).some((arg) => /^(-e|--eval|-p|--print|-c|-m)$/.test(arg)))
    return undefined;
  const candidate = args[index] as string;
  const absolute = path.resolve(candidate);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) {
    throw new WardenError('resolve-failed', `server script not found: ${candidate}`, {
      hint: `${path.basename(executable)} would run ${absolute}, which is not a file`,
    });
  }
  args[index] = absolute;
  return index;
}
