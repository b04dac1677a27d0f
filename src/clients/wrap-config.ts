import { isRecord } from '../util/is-record.ts';
import type { ClientFormat } from './client-formats.ts';
import { type ServerEntry, findServerEntries } from './server-entries.ts';
import { type WardenLaunchOptions, wardenLaunch } from './warden-entry.ts';

/** The reserved key inside a wrapped entry that holds the original entry's exact text. */
export const WRAP_KEY = 'x-mcp-warden';

/** What happened to one server. */
export interface EntryChange {
  server: string;
  action: 'wrapped' | 'unwrapped' | 'already-wrapped' | 'not-wrapped' | 'skipped';
  /** Why it was skipped, or a warning about the wrapped entry. */
  note?: string;
  /** The roots the wrapped server gets. */
  roots?: string[];
}

/** The result of wrapping or unwrapping one config text. `text` equals the input when nothing changed. */
export interface ConfigEdit {
  format: ClientFormat;
  text: string;
  changes: EntryChange[];
}

export interface WrapOptions extends WardenLaunchOptions {
  /** Only these servers (names as listed); undefined/empty: every stdio server. */
  servers?: readonly string[];
}

const HTTP_TYPES = new Set(['http', 'sse', 'streamable-http', 'streamableHttp', 'ws', 'websocket']);

/**
 * Rewrite the stdio servers of a client config so each is launched through `mcp-warden run`. Works on
 * the original text: only the bytes of each wrapped entry change, so comments, whitespace and key order
 * elsewhere are kept. The wrapped entry keeps every other key (env, cwd, type...) in place and carries the
 * original entry's exact text under "x-mcp-warden".original, from which {@link unwrapConfig} restores it
 * byte for byte. Entries already wrapped are left alone, so wrapping twice changes nothing. Pure (the
 * file system is reached only through `options.isDirectory`).
 */
export function wrapConfig(text: string, file: string, options: WrapOptions): ConfigEdit {
  const { format, entries } = findServerEntries(text, file);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const unit = indentUnit(text);
  const changes: EntryChange[] = [];
  const edits: { offset: number; length: number; text: string }[] = [];
  for (const entry of entries) {
    if (options.servers && options.servers.length > 0 && !options.servers.includes(entry.name)) continue;
    const value = entry.value;
    if (!isRecord(value)) {
      changes.push({ server: entry.name, action: 'skipped', note: 'not an object' });
      continue;
    }
    if (WRAP_KEY in value) {
      changes.push({ server: entry.name, action: 'already-wrapped' });
      continue;
    }
    if (typeof value.url === 'string' || (typeof value.type === 'string' && HTTP_TYPES.has(value.type))) {
      changes.push({
        server: entry.name,
        action: 'skipped',
        note: 'HTTP server: left alone (the warden sandboxes stdio servers; see mcp-warden gateway)',
      });
      continue;
    }
    if (typeof value.command !== 'string' || value.command === '') {
      changes.push({ server: entry.name, action: 'skipped', note: 'no command' });
      continue;
    }
    const args = Array.isArray(value.args)
      ? value.args.filter((a): a is string => typeof a === 'string')
      : [];
    const envNames = isRecord(value.env) ? Object.keys(value.env) : [];
    const launch = wardenLaunch({ command: value.command, args, envNames }, options);
    const original = text.slice(entry.offset, entry.offset + entry.length);
    const next: [string, unknown][] = [];
    for (const [key, item] of Object.entries(value)) {
      if (key === 'command') {
        next.push(['command', launch.command]);
        if (!('args' in value)) next.push(['args', launch.args]);
      } else if (key === 'args') next.push(['args', launch.args]);
      else next.push([key, item]);
    }
    next.push([WRAP_KEY, { original }]);
    edits.push({
      offset: entry.offset,
      length: entry.length,
      text: formatObject(next, entry.indent, unit, eol),
    });
    const notes: string[] = [];
    if (typeof value.envFile === 'string')
      notes.push('variables from envFile are not passed: add --env NAME to its args');
    if (launch.roots.length === 0) notes.push('no roots: the server sees no host directory (use --root)');
    changes.push({
      server: entry.name,
      action: 'wrapped',
      roots: launch.roots,
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    });
  }
  return { format, text: applyEdits(text, edits), changes };
}

/**
 * Restore every wrapped entry (or only `servers`) to the exact text kept in its "x-mcp-warden".original.
 * wrap followed by unwrap gives back the original bytes. Pure.
 */
export function unwrapConfig(text: string, file: string, servers?: readonly string[]): ConfigEdit {
  const { format, entries } = findServerEntries(text, file);
  const changes: EntryChange[] = [];
  const edits: { offset: number; length: number; text: string }[] = [];
  for (const entry of entries) {
    if (servers && servers.length > 0 && !servers.includes(entry.name)) continue;
    const original = originalText(entry);
    if (original === undefined) {
      changes.push({ server: entry.name, action: 'not-wrapped' });
      continue;
    }
    edits.push({ offset: entry.offset, length: entry.length, text: original });
    changes.push({ server: entry.name, action: 'unwrapped' });
  }
  return { format, text: applyEdits(text, edits), changes };
}

function originalText(entry: ServerEntry): string | undefined {
  const value = entry.value;
  if (!isRecord(value)) return undefined;
  const marker = value[WRAP_KEY];
  return isRecord(marker) && typeof marker.original === 'string' ? marker.original : undefined;
}

function applyEdits(text: string, edits: { offset: number; length: number; text: string }[]): string {
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.offset - a.offset)) {
    out = out.slice(0, edit.offset) + edit.text + out.slice(edit.offset + edit.length);
  }
  return out;
}

/** The file's indentation step: the leading whitespace of its first indented line (default two spaces). */
function indentUnit(text: string): string {
  const match = /\n([ \t]+)\S/.exec(text);
  return match?.[1] ?? '  ';
}

/** An object as multi-line JSON at `indent`; arrays of scalars stay on one line. */
function formatObject(
  entries: readonly [string, unknown][],
  indent: string,
  unit: string,
  eol: string,
): string {
  if (entries.length === 0) return '{}';
  const inner = indent + unit;
  const lines = entries.map(
    ([key, value]) => `${inner}${JSON.stringify(key)}: ${formatValue(value, inner, unit, eol)}`,
  );
  return `{${eol}${lines.join(`,${eol}`)}${eol}${indent}}`;
}

function formatValue(value: unknown, indent: string, unit: string, eol: string): string {
  if (Array.isArray(value)) {
    if (value.every((item) => item === null || typeof item !== 'object')) {
      return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
    }
    const inner = indent + unit;
    return `[${eol}${value.map((item) => inner + formatValue(item, inner, unit, eol)).join(`,${eol}`)}${eol}${indent}]`;
  }
  if (isRecord(value)) return formatObject(Object.entries(value), indent, unit, eol);
  return JSON.stringify(value) ?? 'null';
}
