/** An interpreter line, split the way the kernel (and `env -S`) would run it. */
export interface Shebang {
  /** The interpreter as written: an absolute path, or a name for PATH lookup after `/usr/bin/env`. */
  interpreter: string;
  /** Arguments before the script path; empty when the line has none. */
  args: string[];
  /** true when the interpreter came through `env` and must be looked up on PATH. */
  viaEnv: boolean;
}

/**
 * Pure: parse the first line of a script. Returns undefined when it has no `#!` line. Follows Linux
 * semantics: everything after the interpreter path is ONE argument, so `#!/usr/bin/env node --flag`
 * asks env for a program called "node --flag"; that is reported as an error (use `env -S`), not
 * silently "fixed". `env -S` splits its string on whitespace (quotes and escapes are not supported).
 * Throws an Error with a readable message on a line it cannot run.
 */
export function parseShebang(firstLine: string): Shebang | undefined {
  if (!firstLine.startsWith('#!')) return undefined;
  const line = firstLine.slice(2).replace(/\r$/, '').trim();
  const space = line.search(/[ \t]/);
  const interpreter = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? '' : line.slice(space).trim();
  if (interpreter === '') throw new Error('empty interpreter line');
  if (!/(^|\/)env$/.test(interpreter)) {
    return { interpreter, args: rest === '' ? [] : [rest], viaEnv: false };
  }
  if (rest === '') throw new Error(`"${firstLine}" names no program after env`);
  let words: string[];
  if (rest.startsWith('-S')) {
    words = rest.slice(2).trim().split(/\s+/).filter(Boolean);
  } else if (/\s/.test(rest)) {
    throw new Error(`"${firstLine}" passes "${rest}" to env as one program name; write "env -S ${rest}"`);
  } else {
    words = [rest];
  }
  // env's own options (e.g. -i, -u NAME) would change the environment we pin; refuse them.
  const [program, ...args] = words;
  if (program === undefined || program.startsWith('-')) {
    throw new Error(`"${firstLine}": env options other than -S are not supported`);
  }
  return { interpreter: program, args, viaEnv: true };
}

/**
 * Pure: the interpreter of a Python launcher too long for a `#!` line (over the kernel's 127 bytes, or
 * with spaces): pip (distlib) and uv then write `#!/bin/sh` and, on the second line,
 * `'''exec' "/path/to/venv/bin/python" "$0" "$@"`, a line that is both shell and a Python string.
 * Returns the interpreter path when `firstLine`/`secondLine` are exactly that, else undefined.
 */
export function parseExecTrampoline(firstLine: string, secondLine: string): string | undefined {
  if (!/^#!\s*\/bin\/sh\s*$/.test(firstLine.replace(/\r$/, ''))) return undefined;
  const match = /^'''exec' (?:"([^"$`\\]+)"|'([^']+)') "\$0" "\$@"\s*$/.exec(secondLine.replace(/\r$/, ''));
  const interpreter = match?.[1] ?? match?.[2];
  return interpreter !== undefined && interpreter.startsWith('/') ? interpreter : undefined;
}
