/** An `npx -y PKG ARGS...` command, split. */
export interface NpxCommand {
  /** The package spec as written: NAME, NAME@VERSION, @SCOPE/NAME@RANGE. */
  spec: string;
  /** The package name (spec without the version). */
  name: string;
  /** Arguments for the package's bin. */
  args: string[];
}

/**
 * Pure: parse the arguments after `npx`. Accepts `-y`/`--yes` (required: without it npx would prompt
 * on the warden's stdio, which is the MCP channel) and an optional `--` before the package. Throws an
 * Error whose message says what to change for anything else (other npx options, non-registry specs).
 */
export function parseNpx(args: readonly string[]): NpxCommand {
  let yes = false;
  let index = 0;
  for (; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '-y' || arg === '--yes') yes = true;
    else if (arg === '--') {
      index += 1;
      break;
    } else if (arg.startsWith('-'))
      throw new Error(`npx option ${arg} is not supported; use: npx -y PACKAGE ARGS...`);
    else break;
  }
  const spec = args[index];
  if (!yes) throw new Error('npx needs -y (add -y: npx -y PACKAGE ...); it cannot prompt on the MCP channel');
  if (spec === undefined) throw new Error('npx -y names no package');
  const match = /^((?:@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*)(?:@([^\s/:]+))?$/i.exec(spec);
  if (!match?.[1]) {
    throw new Error(`npx package "${spec}" is not a registry package name (NAME or NAME@VERSION)`);
  }
  return { spec, name: match[1], args: args.slice(index + 1) };
}
