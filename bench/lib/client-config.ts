// The eight servers of a typical client config, as the client-start benchmark starts them: the npm
// servers available here (filesystem, memory with a state file, everything), a Python server on the real
// `mcp` SDK from a venv, each twice. Each has its own root, as each entry of a client config would.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Launch, RELAY, REPO, WARDEN } from './modes.ts';

const SERVERS = path.join(REPO, 'node_modules/@modelcontextprotocol');

/** One configured server: its command line, the environment it needs, and its root. */
export interface ConfiguredServer {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  root: string;
}

/**
 * The console script of the Python fixture in the pip venv the tests build (tests/helpers/python-venvs.ts,
 * which cannot be imported outside vitest), or undefined when no test run has built it yet.
 */
function venvFixture(): string | undefined {
  const home = path.join(
    process.env.MCP_WARDEN_TEST_CACHE ?? path.join(os.homedir(), '.cache', 'mcp-warden-tests'),
    'venvs',
  );
  if (!existsSync(home)) return undefined;
  for (const name of readdirSync(home).filter((n) => /^pip-[0-9a-f]+$/.test(n))) {
    const script = path.join(home, name, 'bin', 'mcp-warden-fixture');
    if (existsSync(path.join(home, name, '.mcp-warden-test-complete')) && existsSync(script)) return script;
  }
  return undefined;
}

/** The eight servers, with their roots (and the memory servers' state files) created under `dir`. */
export function clientConfig(dir: string): ConfiguredServer[] {
  const python = venvFixture();
  if (python === undefined)
    throw new Error(
      'the Python server comes from the test venv, which is not built yet: run ' +
        '`npx vitest run tests/integration/python-venv.test.ts` once (it builds it from the package index)',
    );
  const node = process.execPath;
  const servers: ConfiguredServer[] = [];
  for (const copy of [1, 2]) {
    const root = (name: string): string => {
      const made = path.join(dir, `${name}-${copy}`);
      // World-accessible so every sandbox user can use it (containers never run as root).
      mkdirSync(made, { recursive: true, mode: 0o777 });
      return made;
    };
    const fsRoot = root('filesystem');
    writeFileSync(path.join(fsRoot, 'notes.txt'), 'hello\n', { mode: 0o666 });
    const memoryRoot = root('memory');
    const state = path.join(memoryRoot, 'memory.jsonl');
    // A state file with something in it: the server loads it on its first call, as a user's would.
    writeFileSync(
      state,
      `${JSON.stringify({ type: 'entity', name: 'Ada', entityType: 'person', observations: ['wrote the first program'] })}\n`,
      { mode: 0o666 },
    );
    servers.push(
      {
        name: `filesystem-${copy}`,
        command: node,
        args: [path.join(SERVERS, 'server-filesystem/dist/index.js'), fsRoot],
        env: {},
        root: fsRoot,
      },
      {
        name: `memory-${copy}`,
        command: node,
        args: [path.join(SERVERS, 'server-memory/dist/index.js')],
        env: { MEMORY_FILE_PATH: state },
        root: memoryRoot,
      },
      {
        name: `everything-${copy}`,
        command: node,
        args: [path.join(SERVERS, 'server-everything/dist/index.js'), 'stdio'],
        env: {},
        root: root('everything'),
      },
      { name: `python-${copy}`, command: python, args: [], env: {}, root: root('python') },
    );
  }
  return servers;
}

/**
 * How a client would start `server`: directly, behind the bare relay (bench/fixtures/relay.mjs), or
 * wrapped in `mcp-warden run --profile MODE`.
 */
export function clientLaunch(mode: string, server: ConfiguredServer): Launch {
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', MCP_WARDEN_LOG_LEVEL: 'silent' };
  if (mode === 'direct')
    return { command: server.command, args: server.args, env: { ...base, ...server.env } };
  if (mode === 'relay')
    return {
      command: process.execPath,
      args: [RELAY, server.command, ...server.args],
      env: { ...base, ...server.env },
    };
  const envArgs = Object.entries(server.env).flatMap(([name, value]) => ['--env', `${name}=${value}`]);
  const profile = mode === 'auto' ? [] : ['--profile', mode];
  return {
    command: process.execPath,
    args: [
      WARDEN,
      'run',
      ...profile,
      '--root',
      server.root,
      ...envArgs,
      '--',
      server.command,
      ...server.args,
    ],
    env: base,
  };
}
