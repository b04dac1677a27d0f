import { isRecord } from '../util/is-record.ts';
import type { EntryShape } from './client-formats.ts';
import type { ServerLaunch } from './warden-entry.ts';

/** A server entry as `wrap` sees it: a stdio server to wrap, or a reason to leave it alone. */
export type EntryRead = { kind: 'stdio'; launch: ServerLaunch } | { kind: 'skip'; note: string };

const HTTP_TYPES = new Set([
  'http',
  'sse',
  'streamable-http',
  'streamableHttp',
  'streamable_http',
  'ws',
  'websocket',
]);
const HTTP_NOTE = 'HTTP server: left alone (the warden sandboxes stdio servers; see mcp-warden gateway)';

/** Read the server an entry describes, per the client's entry shape. Pure. */
export function readEntry(value: unknown, shape: EntryShape): EntryRead {
  if (!isRecord(value)) return { kind: 'skip', note: 'not an object' };
  const type = typeof value.type === 'string' ? value.type : value.transportType;
  if (
    ['url', 'serverUrl', 'httpUrl'].some((key) => typeof value[key] === 'string') ||
    (typeof type === 'string' && HTTP_TYPES.has(type))
  ) {
    return { kind: 'skip', note: HTTP_NOTE };
  }
  switch (shape) {
    case 'goose': {
      if (value.type !== 'stdio') {
        return { kind: 'skip', note: `a ${String(value.type ?? 'untyped')} extension, not a stdio server` };
      }
      return stdio(value.cmd, value.args, value.envs, value.env_keys);
    }
    case 'codex':
      return stdio(value.command, value.args, value.env, value.env_vars);
    case 'zed':
      if (isRecord(value.command)) {
        return stdio(value.command.path, value.command.args, value.command.env, undefined);
      }
      if (value.command === undefined && (value.source === 'extension' || 'settings' in value)) {
        return { kind: 'skip', note: "an extension's server: configure it through its extension" };
      }
      return stdio(value.command, value.args, value.env, undefined);
    case 'standard':
      return stdio(value.command, value.args, value.env, undefined);
  }
}

function stdio(command: unknown, args: unknown, env: unknown, forwarded: unknown): EntryRead {
  if (typeof command !== 'string' || command === '') return { kind: 'skip', note: 'no command' };
  const envValues: Record<string, string> = {};
  if (isRecord(env)) {
    for (const [name, item] of Object.entries(env)) envValues[name] = String(item);
  }
  const names = Object.keys(envValues);
  // Codex `env_vars` and Goose `env_keys` name variables the client copies into the server's environment.
  if (Array.isArray(forwarded)) {
    for (const item of forwarded) {
      const name = typeof item === 'string' ? item : isRecord(item) ? item.name : undefined;
      if (typeof name === 'string' && !names.includes(name)) names.push(name);
    }
  }
  return {
    kind: 'stdio',
    launch: {
      command,
      args: Array.isArray(args) ? args.map((a) => (typeof a === 'string' ? a : String(a))) : [],
      envNames: names,
      env: envValues,
    },
  };
}

/** The keys of an entry whose values `wrap` replaces (everything else must survive wrap and unwrap). */
export function launchKeys(value: Record<string, unknown>, shape: EntryShape): string[] {
  if (shape === 'goose') return ['cmd', 'args'];
  if (shape === 'zed' && isRecord(value.command)) return ['command'];
  return ['command', 'args'];
}

/**
 * A JSON entry's key/value pairs after wrapping, in the original key order: `command`/`args` (or Zed's
 * `command.path`/`command.args`) replaced by the warden's, every other key kept. Pure.
 */
export function wrappedJsonPairs(
  value: Record<string, unknown>,
  shape: EntryShape,
  launch: { command: string; args: string[] },
): [string, unknown][] {
  if (shape === 'zed' && isRecord(value.command)) {
    const inner = withLaunch(Object.entries(value.command), 'path', launch);
    return Object.entries(value).map(([key, item]) => [
      key,
      key === 'command' ? Object.fromEntries(inner) : item,
    ]);
  }
  return withLaunch(Object.entries(value), 'command', launch);
}

function withLaunch(
  pairs: [string, unknown][],
  commandKey: string,
  launch: { command: string; args: string[] },
): [string, unknown][] {
  const hasArgs = pairs.some(([key]) => key === 'args');
  const out: [string, unknown][] = [];
  for (const [key, item] of pairs) {
    if (key === commandKey) {
      out.push([commandKey, launch.command]);
      if (!hasArgs) out.push(['args', launch.args]);
    } else if (key === 'args') out.push(['args', launch.args]);
    else out.push([key, item]);
  }
  return out;
}
