import path from 'node:path';

/** `uvx PKG ...`, `uv tool run PKG ...` or `pipx run PKG ...`, split. */
export interface PythonToolCommand {
  tool: 'uv' | 'pipx';
  /** What to install, in pip's syntax: NAME, NAME==VERSION, NAME[extra]>=X (from --from/--spec, else the command). */
  requirement: string;
  /** Extra requirements installed alongside (uvx --with). */
  with: string[];
  /** The interpreter asked for (--python), as given; undefined: the tool's default. */
  python: string | undefined;
  /** The package name (the requirement without extras or version). */
  name: string;
  /** The console script to run from the venv's bin. */
  command: string;
  /** Arguments for it. */
  args: string[];
}

/** A package index name with optional extras and one version clause; no URLs, paths or VCS specs. */
const REQUIREMENT =
  /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(\[[A-Za-z0-9._,-]+\])?((?:==|>=|<=|~=|!=|>|<)[A-Za-z0-9.*+!]+(?:,(?:==|>=|<=|~=|!=|>|<)[A-Za-z0-9.*+!]+)*)?$/;

/** Options that take no value and change nothing the warden relies on. */
const HARMLESS = new Set(['-q', '--quiet', '--no-progress', '--isolated', '--no-cache']);

/**
 * Pure: recognise a Python tool runner. Returns undefined when `program ARGS` is not one of
 * `uvx [OPTIONS] COMMAND ARGS...`, `uv tool run [OPTIONS] COMMAND ARGS...`, `pipx run [OPTIONS] APP
 * ARGS...`. Supported options: uvx `--from SPEC`, `--with REQ` (repeatable), `--python/-p VERSION`;
 * pipx `--spec SPEC`, `--python PYTHON`; `-q`, `--quiet`, `--no-progress`, `--isolated`, `--no-cache`
 * are ignored. `uvx NAME@VERSION` means NAME==VERSION (`@latest`: NAME). Throws an Error saying what
 * to change for anything else (other options, a requirement that is not a package index name).
 */
export function parsePythonTool(program: string, args: readonly string[]): PythonToolCommand | undefined {
  const base = path.basename(program);
  let rest: readonly string[];
  let tool: 'uv' | 'pipx';
  if (base === 'uvx') [tool, rest] = ['uv', args];
  else if (base === 'uv' && args[0] === 'tool' && args[1] === 'run') [tool, rest] = ['uv', args.slice(2)];
  else if (base === 'pipx' && args[0] === 'run') [tool, rest] = ['pipx', args.slice(1)];
  else return undefined;
  const display = tool === 'uv' ? 'uvx' : 'pipx run';
  const from = tool === 'uv' ? '--from' : '--spec';
  let requirement: string | undefined;
  let python: string | undefined;
  const extra: string[] = [];
  let index = 0;
  for (; index < rest.length; index += 1) {
    const arg = rest[index] as string;
    if (arg === '--') {
      index += 1;
      break;
    }
    if (!arg.startsWith('-')) break;
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const takeValue = (): string => {
      const value = eq < 0 ? rest[++index] : arg.slice(eq + 1);
      if (value === undefined || value === '') throw new Error(`${display} ${flag} needs a value`);
      return value;
    };
    if (flag === from) requirement = takeValue();
    else if (flag === '--python' || (tool === 'uv' && flag === '-p')) python = takeValue();
    else if (tool === 'uv' && flag === '--with') extra.push(takeValue());
    else if (!HARMLESS.has(arg)) {
      throw new Error(
        `${display} option ${flag} is not supported; use: ${display} [${from} SPEC] [--python VERSION] COMMAND ARGS...`,
      );
    }
  }
  const command = rest[index];
  if (command === undefined) throw new Error(`${display} names no command to run`);
  let first = command;
  if (tool === 'uv' && requirement === undefined) {
    // uvx NAME@VERSION: uv's short form for an exact version.
    const at = /^([^@]+)@(.+)$/.exec(command);
    if (at) first = at[2] === 'latest' ? (at[1] as string) : `${at[1]}==${at[2]}`;
  }
  const req = requirement ?? first;
  for (const value of [req, ...extra]) {
    if (!REQUIREMENT.test(value)) {
      throw new Error(
        `${display}: "${value}" is not a package index requirement (NAME, NAME==VERSION, NAME[extra]); URLs, paths and VCS specs are not installed by the warden`,
      );
    }
  }
  const name = (REQUIREMENT.exec(req) as RegExpExecArray)[1] as string;
  const commandName = requirement === undefined ? name : command;
  if (commandName.includes('/'))
    throw new Error(`${display}: the command must be a name, not a path: ${command}`);
  return {
    tool,
    requirement: req,
    with: extra,
    python,
    name,
    command: commandName,
    args: rest.slice(index + 1),
  };
}
