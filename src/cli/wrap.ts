import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { CLIENT_FORMATS } from '../clients/client-formats.ts';
import { defaultConfigLocations } from '../clients/default-locations.ts';
import { DEFAULT_WARDEN_COMMAND } from '../clients/warden-entry.ts';
import { type ConfigEdit, unwrapConfig, wrapConfig } from '../clients/wrap-config.ts';
import { WardenError, errorMessage } from '../errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { EXIT } from './exit-codes.ts';
import { WRAP_HELP } from './help-scan.ts';
import { say, warn } from './output.ts';

/** Suffix of the backup written next to a config before each change. */
export const BACKUP_SUFFIX = '.mcp-warden.bak';

const OPTIONS = {
  config: { type: 'string' },
  profile: { type: 'string' },
  root: { type: 'string', multiple: true },
  server: { type: 'string', multiple: true },
  'warden-command': { type: 'string' },
  lock: { type: 'string' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `mcp-warden wrap`: route a client config's stdio servers through `mcp-warden run`. */
export function wrapCommand(argv: readonly string[]): Promise<number> {
  return edit('wrap', argv);
}

/** `mcp-warden unwrap`: restore the wrapped entries byte for byte. */
export function unwrapCommand(argv: readonly string[]): Promise<number> {
  return edit('unwrap', argv);
}

async function edit(mode: 'wrap' | 'unwrap', argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new WardenError('usage', errorMessage(error), { hint: `see mcp-warden ${mode} --help` });
  }
  if (values.help) {
    say(WRAP_HELP);
    return EXIT.ok;
  }
  const files = values.config
    ? [path.resolve(values.config)]
    : await pickDefaultFiles(mode, values.yes === true);
  if (files.length === 0) return EXIT.ok;
  const wardenCommand = (values['warden-command'] ?? process.env.MCP_WARDEN_COMMAND ?? '')
    .split(/\s+/)
    .filter((word) => word !== '');
  const results: {
    file: string;
    format: string;
    changed: boolean;
    backup?: string;
    changes: ConfigEdit['changes'];
  }[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new WardenError('config', `${file}: ${errorMessage(error)}`, {
        hint: 'give an existing client config with --config',
      });
    }
    const result =
      mode === 'wrap'
        ? wrapConfig(text, file, {
            wardenCommand: wardenCommand.length > 0 ? wardenCommand : [...DEFAULT_WARDEN_COMMAND],
            ...(values.profile ? { profile: values.profile } : {}),
            ...(values.root && values.root.length > 0 ? { roots: values.root } : {}),
            ...(values.server ? { servers: values.server } : {}),
            ...(values.lock ? { extraRunArgs: ['--lock', path.resolve(values.lock)] } : {}),
            isDirectory,
          })
        : unwrapConfig(text, file, values.server);
    const changed = result.text !== text;
    let backup: string | undefined;
    if (changed && !values['dry-run']) {
      backup = `${file}${BACKUP_SUFFIX}`;
      copyFileSync(file, backup);
      writeFileAtomic(file, result.text);
    }
    results.push({
      file,
      format: result.format,
      changed,
      ...(backup ? { backup } : {}),
      changes: result.changes,
    });
  }
  if (values.json) say(JSON.stringify({ mode, dryRun: values['dry-run'] === true, files: results }, null, 2));
  else say(results.map((r) => describe(mode, r, values['dry-run'] === true)).join('\n\n'));
  return EXIT.ok;
}

function describe(
  mode: string,
  r: { file: string; format: string; changed: boolean; backup?: string; changes: ConfigEdit['changes'] },
  dryRun: boolean,
): string {
  const label = CLIENT_FORMATS[r.format as keyof typeof CLIENT_FORMATS]?.label ?? r.format;
  const lines = [`${r.file} (${label})`];
  for (const c of r.changes) {
    const roots = c.roots && c.roots.length > 0 ? ` roots: ${c.roots.join(', ')}` : '';
    lines.push(`  ${c.server}: ${c.action}${roots}${c.note ? ` — ${c.note}` : ''}`);
  }
  if (r.changes.length === 0) lines.push('  no servers');
  if (!r.changed) lines.push(`  unchanged (nothing to ${mode})`);
  else if (dryRun) lines.push('  dry run: nothing written');
  else lines.push(`  written; backup: ${r.backup}`);
  return lines.join('\n');
}

/** The default config files that exist here, after asking (or with --yes). */
async function pickDefaultFiles(mode: string, yes: boolean): Promise<string[]> {
  const found = defaultConfigLocations({
    platform: process.platform,
    home: os.homedir(),
    cwd: process.cwd(),
    ...(process.env.APPDATA ? { appData: process.env.APPDATA } : {}),
    ...(process.env.XDG_CONFIG_HOME ? { xdgConfigHome: process.env.XDG_CONFIG_HOME } : {}),
  }).filter((location) => existsSync(location.file));
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

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
