import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import {
  CLIENT_FORMATS,
  CLIENT_FORMAT_NAMES,
  type ClientFormat,
  detectFormat,
} from '../clients/client-formats.ts';
import { defaultConfigLocations, workspaceFolderOf } from '../clients/default-locations.ts';
import { networkHintLines } from '../clients/network-hint.ts';
import { unifiedDiff } from '../clients/unified-diff.ts';
import { runningWardenCommand, transientWardenNote } from '../clients/warden-self.ts';
import { type ConfigEdit, unwrapConfig, wrapConfig } from '../clients/wrap-config.ts';
import type { PathKind } from '../clients/wrap-roots.ts';
import { loadKnownNetworkServers } from '../config/load-known-servers.ts';
import { WardenError, errorMessage } from '../errors.ts';
import type { NetworkValue } from '../network/egress-settings.ts';
import { homeDir } from '../util/home-dir.ts';
import { EXIT } from './exit-codes.ts';
import { WRAP_HELP } from './help-scan.ts';
import { say, warn } from './output.ts';
import { BACKUP_SUFFIX, checkWritable, readConfig, replaceWithBackup } from './wrap-files.ts';
import { validateWardenCommand, validateWrapOptions, validateWrappedEntry } from './wrap-validate.ts';

export { BACKUP_SUFFIX } from './wrap-files.ts';

const OPTIONS = {
  config: { type: 'string' },
  format: { type: 'string' },
  profile: { type: 'string' },
  root: { type: 'string', multiple: true },
  'allow-host': { type: 'string', multiple: true },
  server: { type: 'string', multiple: true },
  'warden-command': { type: 'string' },
  lock: { type: 'string' },
  warm: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Mode = 'wrap' | 'unwrap';

interface FileResult {
  file: string;
  format: ClientFormat;
  before: string;
  edit: ConfigEdit;
}

/** `mcp-warden wrap`: route a client config's stdio servers through `mcp-warden run`. */
export function wrapCommand(argv: readonly string[]): Promise<number> {
  return edit('wrap', argv);
}

/** `mcp-warden unwrap`: restore the wrapped entries byte for byte. */
export function unwrapCommand(argv: readonly string[]): Promise<number> {
  return edit('unwrap', argv);
}

async function edit(mode: Mode, argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new WardenError('usage', errorMessage(error).replace(/\. To specify.*$/s, ''), {
      hint: `see mcp-warden ${mode} --help`,
    });
  }
  if (values.help) {
    say(WRAP_HELP);
    return EXIT.ok;
  }
  const format = parseFormat(values.format);
  const dryRun = values['dry-run'] === true;
  const force = values.force === true;
  const allowHosts = values['allow-host'] ?? [];
  if (mode === 'unwrap' && allowHosts.length > 0) {
    throw new WardenError('usage', '--allow-host is an option of wrap, not of unwrap', {
      hint: 'unwrap restores the original entries, which have no --allow-host; leave it out',
    });
  }
  const warm = values.warm === true;
  if (mode === 'unwrap' && warm) {
    throw new WardenError('usage', '--warm is an option of wrap, not of unwrap', {
      hint: 'unwrap restores the original entries, which have no --warm; leave it out',
    });
  }
  const wardenCommand = mode === 'wrap' ? chooseWardenCommand(values['warden-command']) : { words: [] };
  let network: NetworkValue = false;
  if (mode === 'wrap') {
    ({ network } = await validateWrapOptions({
      profile: values.profile,
      roots: values.root ?? [],
      lock: values.lock,
      allowHosts,
      warm,
    }));
  }
  const knownServers = mode === 'wrap' ? loadKnownNetworkServers() : undefined;
  const files = values.config
    ? [path.resolve(values.config)]
    : await pickDefaultFiles(mode, values.yes === true);
  if (files.length === 0) return EXIT.ok;

  // Plan every file first: nothing is written unless every file and every option is fine.
  const results: FileResult[] = [];
  for (const file of files) {
    const before = readConfig(file);
    const edit =
      mode === 'wrap'
        ? wrapConfig(before, file, {
            wardenCommand: wardenCommand.words,
            ...(values.profile ? { profile: values.profile } : {}),
            ...(values.root && values.root.length > 0 ? { roots: values.root } : {}),
            ...(values.server ? { servers: values.server } : {}),
            ...(allowHosts.length > 0 ? { allowHosts } : {}),
            extraRunArgs: [
              ...(values.lock ? ['--lock', path.resolve(values.lock)] : []),
              ...(warm ? ['--warm'] : []),
            ],
            ...(knownServers ? { knownServers } : {}),
            ...(format ? { format } : {}),
            isDirectory: (p) => pathKind(p) === 'directory',
            pathKind,
            variableContext: variableContext(file, format),
          })
        : unwrapConfig(before, file, values.server, { force, ...(format ? { format } : {}) });
    if (wardenCommand.note) {
      for (const change of edit.changes)
        if (change.action === 'wrapped') change.note = joinNote(change.note, wardenCommand.note);
    }
    for (const change of edit.changes) if (change.action === 'wrapped') validateWrappedEntry(file, change);
    results.push({ file, format: edit.format, before, edit });
  }
  checkServerNames(values.server ?? [], results);
  if (allowHosts.length > 0 && (values.server ?? []).length === 0) checkAllowHostTargets(results);
  const kept = results.flatMap((r) =>
    r.edit.changes.filter((c) => c.action === 'kept').map((c) => ({ file: r.file, c })),
  );
  if (kept.length > 0) {
    const list = kept.map(({ file, c }) => `  ${file}: ${c.server}: ${c.edited?.join(', ')}`).join('\n');
    throw new WardenError(
      'config',
      `not unwrapped: ${kept.length === 1 ? 'an entry was' : 'entries were'} edited after wrapping, and restoring the original would lose:\n${list}\nnothing was written`,
      {
        hint: 'carry those edits into the original (or drop them), then run unwrap again; --force restores the originals and loses them',
      },
    );
  }
  if (!dryRun) {
    for (const r of results) if (r.edit.text !== r.before) checkWritable(r.file, force);
  }
  const written = new Map<string, string>();
  if (!dryRun) {
    for (const r of results) {
      if (r.edit.text !== r.before) written.set(r.file, replaceWithBackup(r.file, r.before, r.edit.text));
    }
  }
  report(mode, results, written, { dryRun, json: values.json === true });
  if (mode === 'wrap') reportNetwork(results, { allowHosts, network, dryRun });
  return EXIT.ok;
}

/**
 * --allow-host without --server gives the hosts to every server wrapped now: refused when that is more
 * than one, so a filesystem server never gets the GitHub server's egress by accident.
 */
function checkAllowHostTargets(results: readonly FileResult[]): void {
  const wrapped = results.flatMap((r) =>
    r.edit.changes.filter((c) => c.action === 'wrapped').map((c) => c.server),
  );
  if (wrapped.length <= 1) return;
  throw new WardenError(
    'usage',
    `--allow-host without --server would let every server wrapped now reach those hosts (${wrapped.join(', ')}); nothing was written`,
    {
      hint: 'name the servers that need them: wrap --server NAME --allow-host HOST, then wrap the others in a second run without --allow-host',
    },
  );
}

/** Per wrapped server, on stderr: what it will reach, and the --allow-host values the reviewed table suggests. */
function reportNetwork(
  results: readonly FileResult[],
  how: { allowHosts: readonly string[]; network: NetworkValue; dryRun: boolean },
): void {
  for (const r of results) {
    for (const c of r.edit.changes) {
      if (c.action !== 'wrapped') continue;
      const lines = networkHintLines(c.network, { ...how, file: r.file, server: c.server });
      if (lines.length > 0) warn(lines.join('\n'));
    }
  }
}

function report(
  mode: Mode,
  results: readonly FileResult[],
  written: ReadonlyMap<string, string>,
  how: { dryRun: boolean; json: boolean },
): void {
  const diffs = results.map((r) => unifiedDiff(r.before, r.edit.text, r.file, `${r.file} (${mode}ped)`));
  if (how.json) {
    const files = results.map((r, i) => ({
      file: r.file,
      format: r.format,
      changed: r.edit.text !== r.before,
      ...(written.has(r.file) ? { backup: written.get(r.file) } : {}),
      changes: r.edit.changes.map(({ runArgs: _runArgs, ...rest }) => rest),
      ...(how.dryRun ? { diff: diffs[i] } : {}),
    }));
    say(JSON.stringify({ mode, dryRun: how.dryRun, files }, null, 2));
    return;
  }
  const summary = results.map((r) => describe(mode, r, written.get(r.file), how.dryRun)).join('\n\n');
  if (how.dryRun) {
    // The diff alone on stdout, so it can be saved or piped to `patch`; the summary goes to stderr.
    const diff = diffs.join('');
    if (diff !== '') say(diff);
    process.stderr.write(`${summary}\n`);
  } else say(summary);
}

function describe(mode: Mode, r: FileResult, backup: string | undefined, dryRun: boolean): string {
  const lines = [`${r.file} (${CLIENT_FORMATS[r.format].label})`];
  for (const c of r.edit.changes) {
    const roots = c.roots && c.roots.length > 0 ? ` roots: ${c.roots.join(', ')}` : '';
    lines.push(`  ${c.server}: ${c.action}${roots}${c.note ? ` — ${c.note}` : ''}`);
  }
  if (r.edit.changes.length === 0) lines.push('  no servers');
  if (r.edit.text === r.before) lines.push(`  unchanged (nothing to ${mode})`);
  else if (dryRun) lines.push('  dry run: nothing written (the diff is on stdout)');
  else lines.push(`  written; backup: ${backup ?? `${r.file}${BACKUP_SUFFIX}`}`);
  return lines.join('\n');
}

function parseFormat(value: string | undefined): ClientFormat | undefined {
  if (value === undefined) return undefined;
  if ((CLIENT_FORMAT_NAMES as readonly string[]).includes(value)) return value as ClientFormat;
  throw new WardenError('usage', `--format ${value}: not a client format this warden knows`, {
    hint: `use one of: ${CLIENT_FORMAT_NAMES.join(', ')}`,
  });
}

/** The explicit warden command (checked), else the absolute path of the warden running now. */
function chooseWardenCommand(flag: string | undefined): { words: string[]; note?: string } {
  const explicit = flag ?? process.env.MCP_WARDEN_COMMAND;
  if (explicit !== undefined && explicit.trim() !== '') {
    const words = explicit.split(/\s+/).filter((word) => word !== '');
    validateWardenCommand(words, packageVersion());
    return { words };
  }
  const words = runningWardenCommand(process.execPath, process.argv[1], process.cwd());
  const note = transientWardenNote(words);
  return note ? { words, note } : { words };
}

function checkServerNames(asked: readonly string[], results: readonly FileResult[]): void {
  const known = new Set(results.flatMap((r) => r.edit.names));
  const missing = asked.filter((name) => !known.has(name));
  if (missing.length === 0) return;
  throw new WardenError(
    'usage',
    `--server ${missing.join(', ')}: no such server in ${results.map((r) => r.file).join(', ')}; nothing was written`,
    { hint: known.size > 0 ? `servers there: ${[...known].join(', ')}` : 'that config has no servers' },
  );
}

function variableContext(file: string, format: ClientFormat | undefined) {
  const home = homeDir();
  const workspaceFolder = workspaceFolderOf(file, format ?? detectFormat(file), home);
  return { env: process.env, home, ...(workspaceFolder ? { workspaceFolder } : {}) };
}

function joinNote(note: string | undefined, extra: string): string {
  return note ? `${note}; ${extra}` : extra;
}

function pathKind(file: string): PathKind {
  try {
    return statSync(file).isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(path.resolve(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
    ) as {
      version?: string;
    };
    return pkg.version ?? '0.1.0';
  } catch {
    return '0.1.0';
  }
}

/** The default config files that exist here, after asking (or with --yes). */
async function pickDefaultFiles(mode: Mode, yes: boolean): Promise<string[]> {
  const found = defaultConfigLocations({
    platform: process.platform,
    home: homeDir(),
    cwd: process.cwd(),
    ...(process.env.APPDATA ? { appData: process.env.APPDATA } : {}),
    ...(process.env.XDG_CONFIG_HOME ? { xdgConfigHome: process.env.XDG_CONFIG_HOME } : {}),
    ...(process.env.CODEX_HOME ? { codexHome: process.env.CODEX_HOME } : {}),
  }).filter(
    (location, index, all) =>
      existsSync(location.file) && all.findIndex((l) => l.file === location.file) === index,
  );
  if (found.length === 0) {
    throw new WardenError('usage', 'no MCP client config found in the usual places', {
      hint: `name it: mcp-warden ${mode} --config FILE`,
    });
  }
  const list = found.map((l) => `  ${l.file} (${CLIENT_FORMATS[l.format].label})`).join('\n');
  if (yes) return found.map((l) => l.file);
  if (!process.stdin.isTTY) {
    throw new WardenError(
      'usage',
      `refusing to ${mode} without confirmation (stdin is not a terminal):\n${list}`,
      {
        hint: `re-run with --yes, or name one file with --config FILE`,
      },
    );
  }
  warn(`will ${mode} these client configs:\n${list}`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question('Proceed? [y/N] ');
    if (!/^y(es)?$/i.test(answer.trim())) {
      warn('nothing changed');
      return [];
    }
  } finally {
    rl.close();
  }
  return found.map((l) => l.file);
}
