/** How `wrap` builds the warden's command line for one server. */
export interface WardenLaunchOptions {
  /** How the client starts the warden, e.g. ["npx", "-y", "mcp-warden"]. */
  wardenCommand: readonly string[];
  /** --profile for the wrapped server (default auto). */
  profile?: string;
  /** --root values; undefined: the absolute directory arguments of the server. */
  roots?: readonly string[];
  /** True for a path that is an existing directory (injected so planning stays pure). */
  isDirectory: (path: string) => boolean;
  /** Extra `run` options placed before `--` (e.g. ["--lock", "/path"]). */
  extraRunArgs?: readonly string[];
}

/** The default warden command: what the docs tell users to put in their client config. */
export const DEFAULT_WARDEN_COMMAND = ['npx', '-y', 'mcp-warden'] as const;

/**
 * The command and args that launch `command args` through `mcp-warden run`: the server command is
 * kept verbatim after `--`, each env name becomes `--env NAME` (the client still sets the values, on
 * the warden's process), and the roots are the given ones or the server's absolute directory arguments.
 */
export function wardenLaunch(
  server: { command: string; args: readonly string[]; envNames: readonly string[] },
  options: WardenLaunchOptions,
): { command: string; args: string[]; roots: string[] } {
  const [first, ...rest] = options.wardenCommand;
  if (first === undefined) throw new Error('wardenLaunch: empty warden command');
  const roots = options.roots
    ? [...options.roots]
    : [...new Set(server.args.filter((arg) => isAbsolutePath(arg) && options.isDirectory(arg)))];
  const args = [...rest, 'run', '--profile', options.profile ?? 'auto'];
  for (const root of roots) args.push('--root', root);
  for (const name of server.envNames) args.push('--env', name);
  args.push(...(options.extraRunArgs ?? []), '--', server.command, ...server.args);
  return { command: first, args, roots };
}

function isAbsolutePath(value: string): boolean {
  return value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value);
}
