import type { VariableSyntax } from './client-formats.ts';
import type { VariableContext } from './client-variables.ts';
import { type PathKind, planRoots } from './wrap-roots.ts';

/** How `wrap` builds the warden's command line for one server. */
export interface WardenLaunchOptions {
  /** How the client starts the warden, e.g. ["/usr/bin/node", "/opt/mcp-warden/dist/cli/main.js"]. */
  wardenCommand: readonly string[];
  /** --profile for the wrapped server (default auto). */
  profile?: string;
  /** --root values; undefined: the directory arguments of the server (env paths are added either way). */
  roots?: readonly string[];
  /** True for a path that is an existing directory (injected so planning stays pure). */
  isDirectory: (path: string) => boolean;
  /** What a path is; default: a directory per isDirectory, else missing. */
  pathKind?: (path: string) => PathKind;
  /** The variables the client expands (default: none). */
  variables?: VariableSyntax;
  /** What is known at wrap time about those variables (default: nothing but the process environment). */
  variableContext?: VariableContext;
  /** `--allow-host` values for the wrapped server (written as given; checked like run checks them). */
  allowHosts?: readonly string[];
  /** Extra `run` options placed before `--` (e.g. ["--lock", "/path"]). */
  extraRunArgs?: readonly string[];
}

/** The server as its entry describes it. */
export interface ServerLaunch {
  command: string;
  args: readonly string[];
  /** The names passed on with --env: the entry's env keys and the names the client forwards. */
  envNames: readonly string[];
  /** The entry's env values as written (client variables unexpanded); undefined: none. */
  env?: Readonly<Record<string, string>>;
}

/**
 * The command and args that launch `command args` through `mcp-warden run`: the server command is
 * kept verbatim after `--`, each env name becomes `--env NAME` (the client still sets the values, on
 * the warden's process), each `allowHosts` value becomes `--allow-host HOST`, and the roots are planned
 * by {@link planRoots}. Pure.
 */
export function wardenLaunch(
  server: ServerLaunch,
  options: WardenLaunchOptions,
): { command: string; args: string[]; roots: string[]; notes: string[] } {
  const [first, ...rest] = options.wardenCommand;
  if (first === undefined) throw new Error('wardenLaunch: empty warden command');
  const plan = planRoots({ args: server.args, env: server.env ?? {} }, options.roots, {
    pathKind: options.pathKind ?? ((p) => (options.isDirectory(p) ? 'directory' : 'missing')),
    variables: options.variables ?? 'none',
    context: options.variableContext ?? { env: {}, home: '/nonexistent' },
  });
  const args = [...rest, 'run', '--profile', options.profile ?? 'auto'];
  for (const root of plan.roots) args.push('--root', root);
  for (const name of server.envNames) args.push('--env', name);
  for (const host of options.allowHosts ?? []) args.push('--allow-host', host);
  args.push(...(options.extraRunArgs ?? []), '--', server.command, ...server.args);
  return { command: first, args, roots: plan.roots, notes: plan.notes };
}
