import path from 'node:path';

/**
 * How a client should start the warden that is running now: the absolute node binary and the absolute
 * CLI script (an installed bin link or the script itself). Never a registry name: `npx -y mcp-warden`
 * runs whatever is published under that name the day the client starts. Pure.
 */
export function runningWardenCommand(execPath: string, script: string | undefined, cwd: string): string[] {
  if (!script) throw new Error('runningWardenCommand: the CLI script path is unknown');
  return [path.resolve(execPath), path.resolve(cwd, script)];
}

/** Why a running warden's own path is a poor thing to write into a config, if it is. */
export function transientWardenNote(command: readonly string[]): string | undefined {
  const script = command[1] ?? '';
  if (/[\\/]_npx[\\/]/.test(script)) {
    return `this warden runs from npx's cache (${script}), which npm may clean at any time; install mcp-warden (npm install -g, or from a checkout) and wrap again`;
  }
  return undefined;
}

/**
 * The problem with an explicit warden command, if any: a registry runner (`npx`, `pnpm dlx`, `bunx`,
 * `yarn dlx`) must name mcp-warden at an exact version, or every client start runs whatever is
 * published then. Pure.
 */
export function wardenCommandProblem(words: readonly string[]): string | undefined {
  const runner = words.findIndex((word) => /(^|[\\/])(npx|bunx|pnpx)(\.cmd)?$/.test(word) || word === 'dlx');
  if (runner < 0) return undefined;
  const spec = words.slice(runner + 1).find((word) => !word.startsWith('-'));
  if (spec === undefined) return 'it runs a package runner without a package';
  const match = /^(@?[^@]+)(?:@(.*))?$/.exec(spec);
  if (match?.[1] !== 'mcp-warden') return undefined;
  const version = match[2];
  if (version === undefined || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    return `"${spec}" is not pinned to an exact version: whoever publishes that name next would run in every wrapped server`;
  }
  return undefined;
}
