// How each benchmark mode starts a server: directly, through the peer sandbox (srt), or through
// `mcp-warden run --profile MODE` (the built entry, as users run it).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The warden build to measure: dist/cli/main.js, or another build's (BENCH_WARDEN=/tmp/x/dist/cli/main.js, for A/B runs). */
export const WARDEN = process.env.BENCH_WARDEN ?? path.join(REPO, 'dist', 'cli', 'main.js');
export const SRT = path.join(REPO, 'node_modules', '@anthropic-ai', 'sandbox-runtime', 'dist', 'cli.js');
export const FS_SERVER = path.join(
  REPO,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);
export const MEMORY_SERVER = path.join(
  REPO,
  'node_modules/@modelcontextprotocol/server-memory/dist/index.js',
);
export const BENCH_SERVER = path.join(REPO, 'bench', 'fixtures', 'bench-server.mjs');
export const RELAY = path.join(REPO, 'bench', 'fixtures', 'relay.mjs');

/**
 * `direct`, `relay` (a bare Node relay: the floor of any process in the stdio path), `srt` (the peer),
 * or a warden profile name.
 */
export type Mode = string;

/** A server to start: its argv after node, the environment it needs, and the root it works in. */
export interface ServerSpec {
  script: string;
  args: string[];
  env: Record<string, string>;
  root: string;
}

export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** The srt settings that allow what the warden's profiles allow: the root writable, no network. */
export function srtSettings(root: string, dir: string): string {
  const file = path.join(dir, 'srt-settings.json');
  writeFileSync(
    file,
    JSON.stringify({
      filesystem: { denyRead: [], allowWrite: [root], denyWrite: [] },
      network: { allowedDomains: [], deniedDomains: [] },
    }),
  );
  return file;
}

/** The command line of `server` under `mode`. */
export function launchFor(mode: Mode, server: ServerSpec, srtSettingsFile: string): Launch {
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', MCP_WARDEN_LOG_LEVEL: 'silent' };
  const node = process.execPath;
  if (mode === 'direct')
    return { command: node, args: [server.script, ...server.args], env: { ...base, ...server.env } };
  if (mode === 'relay')
    return {
      command: node,
      args: [RELAY, node, server.script, ...server.args],
      env: { ...base, ...server.env },
    };
  if (mode === 'srt') {
    return {
      command: node,
      args: [SRT, '--settings', srtSettingsFile, node, server.script, ...server.args],
      env: { ...base, ...server.env },
    };
  }
  const envArgs = Object.entries(server.env).flatMap(([name, value]) => ['--env', `${name}=${value}`]);
  return {
    command: node,
    args: [
      WARDEN,
      'run',
      '--profile',
      mode,
      '--root',
      server.root,
      ...envArgs,
      '--',
      node,
      server.script,
      ...server.args,
    ],
    env: base,
  };
}

/**
 * The launch of a mode written as on the A/B benches' command lines: a mode name, optionally followed by
 * `:NAME=VALUE` environment entries for that launch and `:WJS=PATH` for another warden build's main.js
 * (e.g. `bwrap:WJS=/tmp/old/dist/cli/main.js:MCP_WARDEN_NO_FAST_START=1`).
 */
export function launchForVariant(variant: string, server: ServerSpec): Launch {
  const [name = '', ...entries] = variant.split(':');
  const launch = launchFor(name, server, '');
  const extra = Object.fromEntries(
    entries.map((entry) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]),
  );
  const { WJS: warden, ...env } = { ...launch.env, ...extra } as Record<string, string>;
  const args = warden
    ? launch.args.map((a) => (a.endsWith(path.join('dist', 'cli', 'main.js')) ? warden : a))
    : launch.args;
  return { command: launch.command, args, env };
}
