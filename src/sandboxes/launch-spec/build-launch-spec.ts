import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedRoot } from '../../config/root.ts';
import { WardenError } from '../../errors.ts';
import type { LaunchSpec, Limits } from '../types.ts';
import { homeDir } from '../../util/home-dir.ts';
import { BASELINE_ENV, PYTHON_BASELINE_ENV } from './baseline-env.ts';
import { installNpxPackage } from './npx-install.ts';
import { findCodeHome, readJson } from './package-root.ts';
import { parseNpx } from './parse-npx.ts';
import { parsePythonTool } from './parse-python-tool.ts';
import { isPython, pythonRuntime } from './python-runtime.ts';
import { installPythonTool } from './python-tool-install.ts';
import { isInside } from './python-venv.ts';
import { resolveCommand } from './resolve-command.ts';
import { runtimeLibraries } from './runtime-libraries.ts';
import { serverCodePaths } from './server-code-paths.ts';
import { type StateHomeSource, stateHomeName, stateHomePath } from './state-home.ts';

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
  /** The warden's cache directory (npx installs go under `npx/`, uvx and pipx installs under `py/`). */
  cacheDir: string;
  /**
   * The warden's state directory: the server's HOME is its `homes/NAME` (see stateHomeName), mounted
   * read-write. Undefined: no state home (HOME is not set).
   */
  stateDir?: string;
  /** `--name`: names the server's state home; undefined: derived from the command. */
  serverName?: string;
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
 * installed on the host into the cache and run with the current Node, `uvx`/`pipx run` installed into
 * a venv in the cache), the files it needs read-only (itself, its shared libraries, the server's code:
 * see serverCodePaths; for Python its venv, standard library and extension libraries: see
 * pythonRuntime), its state home (HOME), exactly the given env plus BASELINE_ENV (and
 * PYTHON_BASELINE_ENV for Python), and the cwd. Throws WardenError('resolve-failed') with a message
 * naming what is missing.
 */
export async function buildLaunchSpec(input: LaunchInput): Promise<LaunchSpec> {
  // Every read-only path with the reason it is mounted (the first reason given wins).
  const readOnly = new Map<string, string>();
  const mount = (file: string, why: string): void => {
    if (!readOnly.has(file)) readOnly.set(file, why);
  };
  const notMounted: NonNullable<LaunchSpec['notMounted']> = [];
  let argv: string[];
  let stateSource: StateHomeSource | undefined;
  const [program, ...rest] = input.command;
  const pythonTool = program === undefined ? undefined : parseTool(program, rest);
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
    stateSource = { kind: 'npm', package: npx.name };
  } else if (pythonTool !== undefined) {
    const installed = await installPythonTool(pythonTool, input.cacheDir, input.hostPath, input.onProgress);
    // The console script's #! line names the venv's python: resolving it activates the venv below.
    argv = resolveCommand([installed.bin, ...pythonTool.args], input.hostPath);
    stateSource = { kind: 'pypi', package: pythonTool.name };
  } else {
    argv = resolveCommand(input.command, input.hostPath);
  }
  const [executable, ...args] = argv as [string, ...string[]];
  const python = isPython(executable);
  const runtimePaths = await runtimeLibraries(executable, input.cacheDir);
  const realExecutable = realpathSync(executable);
  for (const file of runtimePaths)
    mount(
      file,
      file === executable
        ? 'the server program'
        : file === realExecutable
          ? `the server program (real path of ${executable})`
          : `shared library of ${executable}`,
    );
  // A Python interpreter also needs its venv, standard library and extension libraries.
  let venvDir: string | undefined;
  if (python) {
    const runtime = await pythonRuntime(executable, { cacheDir: input.cacheDir });
    venvDir = runtime.venv?.dir;
    for (const entry of runtime.mounts) {
      mount(entry.path, entry.why);
      if (entry.runtime) runtimePaths.push(entry.path);
    }
    notMounted.push(...runtime.leftOut);
    for (const warning of runtime.warnings) input.onWarning?.(warning);
  }

  const scriptIndex = findScriptArgument(executable, args);
  if (scriptIndex !== undefined) {
    // The script runs by its realpath: Node resolves imports from the main module's realpath anyway,
    // and inside the sandbox a bound symlink is a plain file, so the link's own path would resolve
    // imports from the wrong directory.
    const script = realpathSync(args[scriptIndex] as string);
    args[scriptIndex] = script;
    const language = python ? 'python' : 'node';
    const code = serverCodePaths(script, { language });
    for (const { path: file, why } of code.mounts) {
      // A console script in a venv is mounted with the venv.
      if (venvDir === undefined || !isInside(file, venvDir)) mount(file, why);
    }
    notMounted.push(
      ...code.leftOut.filter((entry) => venvDir === undefined || !isInside(entry.path, venvDir)),
    );
    for (const warning of code.warnings) input.onWarning?.(warning);
    stateSource ??= { kind: 'script', script, packageName: packageName(script, language) };
  } else if (python && args.includes('-m')) {
    const module = args[args.indexOf('-m') + 1];
    if (module !== undefined) stateSource ??= { kind: 'module', module, interpreter: executable };
  }
  stateSource ??= { kind: 'program', program: realExecutable };
  if (input.serverName !== undefined) stateSource = { kind: 'explicit', name: input.serverName };
  const stateHome =
    input.stateDir === undefined
      ? undefined
      : (() => {
          const { name, why } = stateHomeName(stateSource);
          return { path: stateHomePath(input.stateDir as string, name), name, why };
        })();

  return {
    executable,
    args,
    env: {
      ...BASELINE_ENV,
      ...(python ? PYTHON_BASELINE_ENV : {}),
      ...(stateHome === undefined ? {} : { HOME: stateHome.path }),
      ...input.env,
    },
    roots: input.roots,
    readOnlyPaths: [...readOnly.keys()],
    runtimePaths,
    readOnlyWhy: Object.fromEntries(readOnly),
    notMounted,
    ...(stateHome === undefined ? {} : { stateHome }),
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

/** parsePythonTool, its errors as WardenError('resolve-failed'). */
function parseTool(program: string, args: string[]): ReturnType<typeof parsePythonTool> {
  try {
    return parsePythonTool(program, args);
  } catch (error) {
    throw new WardenError('resolve-failed', (error as Error).message, { cause: error });
  }
}

/** The name in the manifest of the package `script` belongs to (package.json, pyproject.toml), if any. */
function packageName(script: string, language: 'node' | 'python'): string | undefined {
  const codeHome = findCodeHome(path.dirname(script), language, homeDir());
  if (codeHome.kind !== 'package' || codeHome.manifest === undefined) return undefined;
  if (codeHome.manifest.endsWith('package.json')) {
    const name = (readJson(codeHome.manifest) as { name?: unknown } | undefined)?.name;
    return typeof name === 'string' ? name.replace(/^@/, '').replace('/', '+') : undefined;
  }
  if (!codeHome.manifest.endsWith('pyproject.toml')) return undefined;
  try {
    const text = readFileSync(codeHome.manifest, 'utf8');
    const project = text.split(/^\[project\]\s*$/m)[1]?.split(/^\[/m)[0] ?? '';
    return /^name\s*=\s*["']([^"']+)["']/m.exec(project)?.[1];
  } catch {
    return undefined;
  }
}
