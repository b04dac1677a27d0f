import path from 'node:path';
import type { VariableSyntax } from './client-formats.ts';
import { type VariableContext, expandClientVariables } from './client-variables.ts';

/** What a host path is, looked up by the caller (so planning stays pure). */
export type PathKind = 'directory' | 'file' | 'missing';

/** The host facts root planning needs. */
export interface RootFacts {
  pathKind: (file: string) => PathKind;
  variables: VariableSyntax;
  context: VariableContext;
}

/** The roots chosen for one server, in the form written to the config, and what the summary says. */
export interface RootPlan {
  /** `--root` values as the client will pass them (client variables kept, so the client expands them). */
  roots: string[];
  notes: string[];
}

/**
 * The roots a server needs: `given` (`wrap --root`) or else its directory arguments, plus the directory of
 * every absolute host path in its `env` that lies outside those (a data file such as server-memory's
 * MEMORY_FILE_PATH). Client variables (`${workspaceFolder}`, `${PWD}`, `${env:DATA}`...) are kept verbatim
 * so the client expands them for the warden exactly as it did for the server. Pure.
 */
export function planRoots(
  server: { args: readonly string[]; env: Readonly<Record<string, string>> },
  given: readonly string[] | undefined,
  facts: RootFacts,
): RootPlan {
  const roots: string[] = [];
  const resolved: string[] = [];
  const notes: string[] = [];
  const add = (raw: string, value: string | undefined): void => {
    if (roots.includes(raw)) return;
    roots.push(raw);
    if (value !== undefined) resolved.push(path.resolve(value));
  };
  if (given) {
    for (const root of given) add(root, rootPath(root, facts));
  } else {
    for (const arg of server.args) argumentRoot(arg, facts, add, notes);
  }
  for (const [name, raw] of Object.entries(server.env)) {
    envRoot(name, raw, facts, resolved, add, notes);
  }
  return { roots, notes };
}

/** A --root value (PATH[:ro]) resolved at wrap time, if it can be. */
function rootPath(root: string, facts: RootFacts): string | undefined {
  const bare = root.replace(/:(ro|rw)$/, '');
  return expandClientVariables(bare, facts.variables, facts.context).value;
}

function argumentRoot(
  arg: string,
  facts: RootFacts,
  add: (raw: string, value: string | undefined) => void,
  notes: string[],
): void {
  const expansion = expandClientVariables(arg, facts.variables, facts.context);
  if (!expansion.hasVariables) {
    if (isAbsolutePath(arg) && facts.pathKind(arg) === 'directory') add(arg, arg);
    else if (
      /^~[\\/]/.test(arg) &&
      facts.pathKind(path.join(facts.context.home, arg.slice(2))) === 'directory'
    ) {
      notes.push(
        `${arg}: the client passes "~" unexpanded and a sandboxed server's home is not yours; write the absolute path (${path.join(facts.context.home, arg.slice(2))}) and wrap again`,
      );
    }
    return;
  }
  if (expansion.value !== undefined) {
    if (isAbsolutePath(expansion.value) && facts.pathKind(expansion.value) === 'directory') {
      add(arg, expansion.value);
    }
    return;
  }
  // Known only when the client starts the server: a bare directory variable is a directory by definition.
  const leading = expansion.directoryVariable;
  if (leading && (leading.rest === '' || leading.rest === '/')) add(arg, undefined);
  else if (leading) {
    notes.push(
      `${arg}: not made a root (whether it is a directory is known only when the client expands it); add --root '${arg}' if it is one`,
    );
  }
}

const SYSTEM_PREFIXES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/nix',
  '/proc',
  '/run',
  '/sbin',
  '/snap',
  '/sys',
  '/usr',
  '/var/run',
  '/System',
  '/Library',
  '/Applications',
  '/private/etc',
];

function envRoot(
  name: string,
  raw: string,
  facts: RootFacts,
  resolved: readonly string[],
  add: (raw: string, value: string | undefined) => void,
  notes: string[],
): void {
  const expansion = expandClientVariables(raw, facts.variables, facts.context);
  const value = expansion.value;
  if (value === undefined) {
    // e.g. ${workspaceFolder}/.memory.json: its directory is the workspace, whatever that is.
    const leading = expansion.directoryVariable;
    if (leading && /^[\\/][^\\/]+$/.test(leading.rest)) add(leading.raw, undefined);
    return;
  }
  if (/^~[\\/]/.test(value)) {
    notes.push(
      `env ${name}=${raw}: the client passes "~" unexpanded and a sandboxed server's home is not yours; write the absolute path and wrap again`,
    );
    return;
  }
  // Only a single absolute path is a path: tokens, URLs, relative names and PATH-like lists are not.
  if (!isAbsolutePath(value) || /[\n\0]/.test(value) || /:[\\/]/.test(value.slice(2))) return;
  const target = path.resolve(value);
  if (resolved.some((root) => isInside(target, root))) return;
  if (target === '/' || SYSTEM_PREFIXES.some((prefix) => isInside(target, prefix))) {
    notes.push(`env ${name}=${raw} is a system path: not made a root`);
    return;
  }
  const kind = facts.pathKind(target);
  const directory = kind === 'directory' ? target : path.dirname(target);
  const directoryRaw = kind === 'directory' ? raw : parentOfRaw(raw);
  if (kind === 'missing' && facts.pathKind(directory) !== 'directory') {
    notes.push(
      `env ${name}=${raw}: ${directory} does not exist, so it is not a root; create it (mkdir -p '${directory}') and wrap again`,
    );
    return;
  }
  if (tooBroad(directory, facts.context.home)) {
    notes.push(
      `env ${name}=${raw}: its directory ${directory} is too broad to hand to the server read-write; move the file into a folder of its own, or give --root`,
    );
    return;
  }
  if (resolved.some((root) => isInside(directory, root))) return;
  add(directoryRaw, directory);
  notes.push(
    `env ${name}: ${directoryRaw} made a read-write root${kind === 'missing' ? ` (${target} does not exist yet)` : ''}`,
  );
}

/** The directory part of a raw value, keeping any client variable in it textually. */
function parentOfRaw(raw: string): string {
  const cut = Math.max(raw.lastIndexOf('/'), raw.lastIndexOf('\\'));
  return cut <= 0 ? raw.slice(0, 1) : raw.slice(0, cut);
}

function tooBroad(directory: string, home: string): boolean {
  const broad = ['/', '/tmp', '/var', '/var/tmp', '/private/tmp', '/home', '/Users', '/root'];
  return (
    broad.includes(directory) ||
    directory === path.resolve(home) ||
    directory === path.dirname(path.resolve(home))
  );
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** An absolute POSIX or Windows path. */
export function isAbsolutePath(value: string): boolean {
  return value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value);
}
