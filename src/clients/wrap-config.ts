import type { KnownNetworkServers } from '../config/known-servers-schema.ts';
import { CLIENT_FORMATS, type ClientFormat, type EntryShape } from './client-formats.ts';
import type { VariableContext } from './client-variables.ts';
import { type Edit, applyEdits, openDocument } from './config-document.ts';
import { type NetworkNeeds, detectNetworkNeeds } from './network-needs.ts';
import { readEntry } from './server-shape.ts';
import { editsSinceWrap } from './unwrap-check.ts';
import { wardenCommandProblem } from './warden-self.ts';
import { type WardenLaunchOptions, wardenLaunch } from './warden-entry.ts';

export { WRAP_KEY } from './config-document.ts';

/** What happened to one server. */
export interface EntryChange {
  server: string;
  action: 'wrapped' | 'unwrapped' | 'already-wrapped' | 'not-wrapped' | 'skipped' | 'kept';
  /** Why it was skipped or kept, or what the summary should say about the wrapped entry. */
  note?: string;
  /** The roots the wrapped server gets (as written: client variables unexpanded). */
  roots?: string[];
  /** The edits made to the entry after wrapping that unwrapping would lose (action "kept"). */
  edited?: string[];
  /** The `run` arguments written for the server (before `--`), for validation. */
  runArgs?: string[];
  /** Signs that the wrapped server needs the network, and the hosts to suggest (never applied). */
  network?: NetworkNeeds;
}

/** The result of wrapping or unwrapping one config text. `text` equals the input when nothing changed. */
export interface ConfigEdit {
  format: ClientFormat;
  text: string;
  changes: EntryChange[];
  /** Every server name in the file (to check --server). */
  names: string[];
}

export interface WrapOptions extends Omit<WardenLaunchOptions, 'variables' | 'variableContext'> {
  /** Only these servers (names as listed); undefined/empty: every stdio server. */
  servers?: readonly string[];
  /** Force a format instead of detecting it. */
  format?: ClientFormat;
  /** What is known now about the client's variables (the format decides which syntax applies). */
  variableContext?: VariableContext;
  /** The reviewed table of servers that need the network; undefined: no network detection. */
  knownServers?: KnownNetworkServers;
}

/**
 * Rewrite the stdio servers of a client config so each is launched through `mcp-warden run`. Works on
 * the original text: only the bytes of each wrapped entry change, so comments, whitespace and key order
 * elsewhere are kept. The wrapped entry keeps every other key (env, cwd, type...) and carries the original
 * entry's exact text (JSON: under "x-mcp-warden".original; TOML/YAML: in a comment), from which
 * {@link unwrapConfig} restores it byte for byte. Entries already wrapped are left alone, so wrapping twice
 * changes nothing. Pure (the file system is reached only through the options' path lookups).
 */
export function wrapConfig(text: string, file: string, options: WrapOptions): ConfigEdit {
  const doc = openDocument(text, file, options.format);
  const info = CLIENT_FORMATS[doc.format];
  const changes: EntryChange[] = [];
  const edits: Edit[] = [];
  for (const entry of doc.entries) {
    if (options.servers && options.servers.length > 0 && !options.servers.includes(entry.name)) continue;
    if (entry.original !== undefined) {
      changes.push({
        server: entry.name,
        action: 'already-wrapped',
        ...staleWarden(entry.value, info.shape),
      });
      continue;
    }
    if (entry.unsupported) {
      changes.push({ server: entry.name, action: 'skipped', note: entry.unsupported });
      continue;
    }
    const read = readEntry(entry.value, info.shape);
    if (read.kind === 'skip') {
      changes.push({ server: entry.name, action: 'skipped', note: read.note });
      continue;
    }
    const launch = wardenLaunch(read.launch, {
      ...options,
      variables: info.variables,
      ...(options.variableContext ? { variableContext: options.variableContext } : {}),
    });
    const entryEdits = entry.wrapEdits({ command: launch.command, args: launch.args });
    if (entryEdits.length === 0) {
      changes.push({
        server: entry.name,
        action: 'skipped',
        note: 'its command or args are laid out in a way wrap cannot edit',
      });
      continue;
    }
    edits.push(...entryEdits);
    const notes = [...launch.notes];
    if (typeof (entry.value as { envFile?: unknown }).envFile === 'string') {
      notes.push('variables from envFile are not passed: add --env NAME to its args');
    }
    if (launch.roots.length === 0) notes.push('no roots: the server sees no host directory (use --root)');
    if (options.allowHosts && options.allowHosts.length > 0) {
      notes.push(`network: --allow-host ${options.allowHosts.join(', ')} (through the warden's proxy)`);
    }
    const network = options.knownServers ? detectNetworkNeeds(read.launch, options.knownServers) : undefined;
    const split = launch.args.indexOf('--');
    changes.push({
      server: entry.name,
      action: 'wrapped',
      roots: launch.roots,
      runArgs: launch.args.slice(launch.args.indexOf('run') + 1, split),
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
      ...(network ? { network } : {}),
    });
  }
  return {
    format: doc.format,
    text: applyEdits(text, edits),
    changes,
    names: doc.entries.map((e) => e.name),
  };
}

/**
 * Restore every wrapped entry (or only `servers`) to the exact text kept when it was wrapped; wrap followed
 * by unwrap gives back the original bytes. An entry edited after wrapping is kept as it is (action "kept",
 * `edited` says what would be lost) unless `force`. Pure.
 */
export function unwrapConfig(
  text: string,
  file: string,
  servers?: readonly string[],
  options: { force?: boolean; format?: ClientFormat } = {},
): ConfigEdit {
  const doc = openDocument(text, file, options.format);
  const shape = CLIENT_FORMATS[doc.format].shape;
  const changes: EntryChange[] = [];
  const edits: Edit[] = [];
  for (const entry of doc.entries) {
    if (servers && servers.length > 0 && !servers.includes(entry.name)) continue;
    if (entry.original === undefined) {
      changes.push({ server: entry.name, action: 'not-wrapped' });
      continue;
    }
    let edited: string[];
    try {
      edited = editsSinceWrap(entry.value, doc.parseOriginal(entry.original, entry.name), shape);
    } catch {
      edited = ['the kept original no longer parses'];
    }
    if (edited.length > 0 && options.force !== true) {
      changes.push({
        server: entry.name,
        action: 'kept',
        edited,
        note: `edited after wrapping: ${edited.join(', ')}`,
      });
      continue;
    }
    edits.push({ offset: entry.offset, length: entry.length, text: entry.original });
    changes.push({
      server: entry.name,
      action: 'unwrapped',
      ...(edited.length > 0 ? { edited, note: `lost edits made after wrapping: ${edited.join(', ')}` } : {}),
    });
  }
  return {
    format: doc.format,
    text: applyEdits(text, edits),
    changes,
    names: doc.entries.map((e) => e.name),
  };
}

/** A note for an entry an older `wrap` pointed at an unpinned `npx -y mcp-warden` (issue 15, item 5). */
function staleWarden(value: unknown, shape: EntryShape): { note?: string } {
  const read = readEntry(value, shape);
  if (read.kind !== 'stdio') return {};
  const split = read.launch.args.indexOf('--');
  const warden = [read.launch.command, ...read.launch.args.slice(0, split < 0 ? undefined : split)];
  return wardenCommandProblem(warden)
    ? { note: 'it starts an unpinned "npx -y mcp-warden" (an older wrap): run unwrap, then wrap again' }
    : {};
}
