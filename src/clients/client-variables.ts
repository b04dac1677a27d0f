import type { VariableSyntax } from './client-formats.ts';

/** What `wrap` knows, at wrap time, about the values a client would substitute. */
export interface VariableContext {
  /** The environment of the user running wrap (the client usually inherits the same one). */
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  /**
   * The folder a project-level config belongs to (the client's workspace folder and working directory
   * there); undefined for a user-level config, where it depends on what the user opens.
   */
  workspaceFolder?: string;
}

/** One string of a server entry, with its client variables looked at. */
export interface Expansion {
  /** Whether the string holds a variable the client expands. */
  hasVariables: boolean;
  /** The string as the client would pass it, when every variable is known at wrap time. */
  value?: string;
  /**
   * The string starts with a variable that always names a directory (the workspace folder, the home,
   * the working directory) and, if it cannot be resolved now, `rest` is what follows it.
   */
  directoryVariable?: { raw: string; rest: string };
}

interface Reference {
  start: number;
  end: number;
  /** The substituted text; undefined when unknown at wrap time. */
  value: string | undefined;
  /** True for variables that always expand to a directory. */
  directory: boolean;
}

const VSCODE_LIKE = /\$\{([^}]+)\}/g;
const ENV_BRACED = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const GEMINI = /\$(?:(\w+)|\{([^}]+?)(?::-([^}]*))?\})/g;

/**
 * Look at the client variables in `text` as client `syntax` expands them (see VariableSyntax), and resolve
 * what can be known at wrap time. Pure.
 */
export function expandClientVariables(text: string, syntax: VariableSyntax, ctx: VariableContext): Expansion {
  const refs = references(text, syntax, ctx);
  if (refs.length === 0) return { hasVariables: false, value: text };
  let out = '';
  let last = 0;
  let known = true;
  for (const ref of refs) {
    out += text.slice(last, ref.start);
    if (ref.value === undefined) known = false;
    else out += ref.value;
    last = ref.end;
  }
  out += text.slice(last);
  const first = refs[0];
  const leading =
    first && first.start === 0 && first.directory
      ? { directoryVariable: { raw: text.slice(0, first.end), rest: text.slice(first.end) } }
      : {};
  return { hasVariables: true, ...(known ? { value: out } : {}), ...leading };
}

function references(text: string, syntax: VariableSyntax, ctx: VariableContext): Reference[] {
  const out: Reference[] = [];
  switch (syntax) {
    case 'none':
      return out;
    case 'vscode':
    case 'cursor':
    case 'windsurf':
      for (const match of text.matchAll(VSCODE_LIKE)) {
        const resolved = editorVariable(match[1] ?? '', syntax, ctx);
        if (resolved) out.push({ start: match.index, end: match.index + match[0].length, ...resolved });
      }
      return out;
    case 'claude-code':
      for (const match of text.matchAll(ENV_BRACED)) {
        out.push({
          start: match.index,
          end: match.index + match[0].length,
          ...environmentVariable(match[1] ?? '', match[2], ctx, true),
        });
      }
      return out;
    case 'gemini':
      for (const match of text.matchAll(GEMINI)) {
        const name = match[1] ?? match[2] ?? '';
        if (name === '') continue;
        out.push({
          start: match.index,
          end: match.index + match[0].length,
          ...environmentVariable(name, match[3], ctx, true),
        });
      }
      return out;
  }
}

/** VS Code / Cursor / Windsurf `${...}` names; undefined for text the client leaves alone. */
function editorVariable(
  name: string,
  syntax: 'vscode' | 'cursor' | 'windsurf',
  ctx: VariableContext,
): { value: string | undefined; directory: boolean } | undefined {
  if (name.startsWith('env:')) {
    // VS Code and Cursor substitute an unset variable with the empty string.
    const value = ctx.env[name.slice(4)];
    return { value: value ?? (syntax === 'windsurf' ? undefined : ''), directory: false };
  }
  if (syntax === 'windsurf')
    return name.startsWith('file:') ? { value: undefined, directory: false } : undefined;
  switch (name) {
    case 'workspaceFolder':
      return { value: ctx.workspaceFolder, directory: true };
    case 'userHome':
      return { value: ctx.home, directory: true };
    case 'cwd':
      return syntax === 'vscode' ? { value: ctx.workspaceFolder, directory: true } : undefined;
    case 'workspaceFolderBasename':
      return { value: ctx.workspaceFolder?.split(/[\\/]/).pop(), directory: false };
    case 'pathSeparator':
    case '/':
      return { value: '/', directory: false };
  }
  if (syntax === 'vscode') {
    if (name.startsWith('workspaceFolder:')) return { value: undefined, directory: true };
    // ${input:id}, ${config:...}, ${command:...} and the editor-state variables: known only to VS Code.
    return { value: undefined, directory: false };
  }
  return undefined;
}

/** `${NAME}` / `${NAME:-default}` (Claude Code, Gemini CLI) against the wrap-time environment. */
function environmentVariable(
  name: string,
  fallback: string | undefined,
  ctx: VariableContext,
  keepUnset: boolean,
): { value: string | undefined; directory: boolean } {
  // The client's working directory is the project for a project-level config, unknown otherwise.
  if (name === 'PWD') return { value: ctx.workspaceFolder, directory: true };
  if (name === 'HOME') return { value: ctx.home, directory: true };
  const value = ctx.env[name];
  if (value !== undefined) return { value, directory: false };
  if (fallback !== undefined) return { value: fallback, directory: false };
  // An unset variable without a default is passed on literally by both clients.
  return { value: keepUnset ? undefined : '', directory: false };
}
