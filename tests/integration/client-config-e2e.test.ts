// Issue 15, "Must show": a realistic Claude Desktop config and a VS Code workspace config, wrapped with
// the defaults (`wrap --config FILE --yes`, so `--profile auto`), then every wrapped entry started
// exactly as the client starts it (command + args + env of the wrapped file) and driven with the MCP
// SDK client: each server's main tool must do what it does directly. Once as root and once as a normal
// user (uid 65534 through setpriv, HOME and folders owned by it), recording which backend `auto`
// picked (from the session.start audit line on stderr). The table in docs/clients.md comes from here.
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipVenv } from '../helpers/python-venvs.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { ECHO_SERVER, PROJECT_ROOT, WARDEN_ENTRY } from '../helpers/warden.ts';

const pkg = (name: string, file: string): string =>
  path.join(PROJECT_ROOT, 'node_modules/@modelcontextprotocol', name, 'dist', file);
const FS_SERVER = pkg('server-filesystem', 'index.js');
const MEMORY_SERVER = pkg('server-memory', 'index.js');
const EVERYTHING_SERVER = pkg('server-everything', 'index.js');
const NOBODY = 65534;
const SETPRIV = ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', '--'];

const pip = pipVenv();

/** Whether uid 65534 can run the venv's interpreter and import the SDK (the venv lives under the test cache). */
function venvReadableByNobody(): boolean {
  if (!pip.ok) return false;
  const probe = spawnSync('setpriv', [...SETPRIV, pip.python, '-c', 'import mcp'], {
    stdio: 'ignore',
    timeout: 20_000,
  });
  return probe.status === 0;
}

interface Launch {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

interface User {
  label: string;
  uid: number;
  /**
   * Who owns the folders. Root runs the client over a user's folders (uid 1000): a container then runs
   * as that owner (issue 15 item 3); root-owned rw roots would make a container run as nobody.
   */
  owner: number;
  python: boolean;
  pythonWhy: string;
}

const USERS: User[] = [
  { label: 'root', uid: 0, owner: 1000, python: pip.ok, pythonWhy: pip.status },
  {
    label: 'normal user (uid 65534)',
    uid: NOBODY,
    owner: NOBODY,
    python: venvReadableByNobody(),
    pythonWhy: pip.ok ? `venv ${pip.dir} is not readable by uid 65534` : pip.status,
  },
];

/** server → user → [what was checked, backend, result]; printed after the run for docs/clients.md. */
const table = new Map<string, Map<string, { checked: string; backend: string; ms: number }>>();
function record(server: string, user: string, checked: string, backend: string, started: number): void {
  if (!table.has(server)) table.set(server, new Map());
  table.get(server)?.set(user, { checked, backend, ms: Date.now() - started });
}
afterAll(() => {
  const lines = [...table].map(
    ([server, byUser]) =>
      `${server}: ${[...byUser].map(([user, r]) => `${user} → ${r.backend} (${r.ms} ms; ${r.checked})`).join(' | ')}`,
  );
  process.stderr.write(`client-config-e2e results:\n${lines.join('\n')}\n`);
});

function chownTree(target: string, uid: number): void {
  chownSync(target, uid, uid);
  if (!statSync(target).isDirectory()) return;
  for (const name of readdirSync(target)) chownTree(path.join(target, name), uid);
}

/** `node src/cli/main.ts ARGS` as `user`, with its HOME, like a user typing `mcp-warden wrap ...`. */
function wardenAs(user: User, home: string, args: string[], cwd: string) {
  const argv = [WARDEN_ENTRY, ...args];
  const out = spawnSync(
    user.uid === 0 ? process.execPath : 'setpriv',
    user.uid === 0 ? argv : [...SETPRIV, process.execPath, ...argv],
    {
      encoding: 'utf8',
      cwd,
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    },
  );
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

interface Session {
  client: Client;
  stderr: () => string;
  backend: () => string;
}

/** Start exactly what the wrapped entry says (as `user`), connect the SDK client. */
async function connect(user: User, home: string, entry: Launch, cwd: string): Promise<Session> {
  const transport = new StdioClientTransport({
    command: user.uid === 0 ? entry.command : 'setpriv',
    args: user.uid === 0 ? entry.args : [...SETPRIV, entry.command, ...entry.args],
    // The client's own environment (PATH, ...) plus the entry's env; HOME is the user's.
    env: {
      ...entry.env,
      PATH: process.env.PATH ?? '',
      HOME: home,
      ...(user.uid === 0 ? {} : { USER: 'nobody', LOGNAME: 'nobody' }),
    },
    cwd,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'client-config-e2e', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close().catch(() => {});
    throw new Error(`wrapped entry did not start: ${(error as Error).message}\nstderr:\n${stderr}`, {
      cause: error,
    });
  }
  const backend = (): string => {
    for (const line of stderr.split('\n')) {
      const start = line.indexOf('{');
      if (start < 0) continue;
      try {
        const event = JSON.parse(line.slice(start)) as { event?: string; backend?: string };
        if (event.event === 'session.start' && event.backend) return event.backend;
      } catch {
        // not an audit line
      }
    }
    return 'unknown';
  };
  return { client, stderr: () => stderr, backend };
}

const text = (result: unknown): string =>
  (result as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '';

// Both runs need root: the first is root, the second drops to 65534 with setpriv.
const AS_ROOT = process.getuid?.() === 0;

describe.runIf(AS_ROOT).each(USERS)(
  `a real client config wrapped with defaults, run as $label${AS_ROOT ? '' : ' (SKIPPED: needs root)'}`,
  (user) => {
    let home: string;
    let notes: string;
    let site: string;
    let workspace: string;
    let memoryFile: string;
    let desktop: Record<string, Launch>;
    let vscode: Record<string, Launch>;

    beforeAll(() => {
      home = tmpRoot(`client-e2e-${user.uid}`);
      notes = path.join(home, 'Documents/notes');
      site = path.join(home, 'Projects/site');
      workspace = path.join(home, 'work/app');
      const share = path.join(home, '.local/share');
      memoryFile = path.join(share, 'claude-memory.json');
      for (const dir of [
        notes,
        site,
        share,
        path.join(workspace, '.vscode'),
        path.join(home, '.config/Claude'),
      ])
        mkdirSync(dir, { recursive: true });
      const desktopFile = path.join(home, '.config/Claude/claude_desktop_config.json');
      const servers: Record<string, Launch> = {
        filesystem: { command: 'node', args: [FS_SERVER, notes, site] },
        memory: { command: 'node', args: [MEMORY_SERVER], env: { MEMORY_FILE_PATH: memoryFile } },
        everything: { command: 'node', args: [EVERYTHING_SERVER, 'stdio'] },
        echo: { command: 'node', args: [ECHO_SERVER] },
      };
      if (user.python && pip.ok) servers.python = { command: pip.script, args: [] };
      writeFileSync(desktopFile, `${JSON.stringify({ mcpServers: servers }, null, 2)}\n`);
      const vscodeFile = path.join(workspace, '.vscode/mcp.json');
      writeFileSync(
        vscodeFile,
        `{\n  // the workspace's own filesystem server\n  "servers": {\n    "workspace-files": {\n      "type": "stdio",\n      "command": "node",\n      "args": [${JSON.stringify(FS_SERVER)}, "\${workspaceFolder}"]\n    }\n  }\n}\n`,
      );
      chownTree(home, user.owner);

      for (const file of [desktopFile, vscodeFile]) {
        const wrap = wardenAs(user, home, ['wrap', '--config', file, '--yes'], workspace);
        expect(wrap.code, `${wrap.stdout}\n${wrap.stderr}`).toBe(0);
      }
      const parsed = JSON.parse(readFileSync(desktopFile, 'utf8')) as { mcpServers: Record<string, Launch> };
      desktop = parsed.mcpServers;
      // VS Code's file is JSONC: drop the one comment line before parsing.
      const vsText = readFileSync(vscodeFile, 'utf8').replace(/^\s*\/\/.*$/m, '');
      const vs = (JSON.parse(vsText) as { servers: Record<string, Launch> }).servers;
      // What VS Code does before starting an entry: expand ${workspaceFolder} in command, args and env.
      vscode = Object.fromEntries(
        Object.entries(vs).map(([name, e]) => [
          name,
          { ...e, args: e.args.map((a) => a.replaceAll('${workspaceFolder}', workspace)) },
        ]),
      );
      for (const entry of [...Object.values(desktop), ...Object.values(vscode)]) {
        expect(entry.command).toBe(process.execPath);
        expect(entry.args.slice(0, 4)).toEqual([WARDEN_ENTRY, 'run', '--profile', 'auto']);
      }
      expect(vs['workspace-files']?.args).toEqual(expect.arrayContaining(['--root', '${workspaceFolder}']));
    }, 60_000);

    // The servers are independent: start them in parallel.
    describe.concurrent('every server keeps its main function', () => {
      it('server-filesystem (two folders) writes a file in each, owned by the user', async () => {
        const t0 = Date.now();
        const s = await connect(user, home, desktop.filesystem as Launch, home);
        try {
          for (const dir of [notes, site]) {
            const file = path.join(dir, 'from-claude.txt');
            const result = await s.client.callTool({
              name: 'write_file',
              arguments: { path: file, content: `written in ${path.basename(dir)}` },
            });
            expect(result.isError ?? false, `${text(result)}\n${s.stderr()}`).toBe(false);
            expect(readFileSync(file, 'utf8')).toBe(`written in ${path.basename(dir)}`);
            // bwrap writes as the warden's user, a container as the folder's owner.
            expect([user.uid, user.owner]).toContain(statSync(file).uid);
          }
        } finally {
          await s.client.close();
        }
        record(
          'server-filesystem',
          user.label,
          'write_file in both folders, files on the host',
          s.backend(),
          t0,
        );
      }, 90_000);

      it('server-memory (MEMORY_FILE_PATH outside its args) keeps an entity across two sessions', async () => {
        const t0 = Date.now();
        const entry = desktop.memory as Launch;
        expect(entry.args).toEqual(expect.arrayContaining(['--root', path.dirname(memoryFile)]));
        const first = await connect(user, home, entry, home);
        let backend: string;
        try {
          const created = await first.client.callTool({
            name: 'create_entities',
            arguments: {
              entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }],
            },
          });
          expect(created.isError ?? false, `${text(created)}\n${first.stderr()}`).toBe(false);
          backend = first.backend();
        } finally {
          await first.client.close();
        }
        expect(readFileSync(memoryFile, 'utf8')).toContain('Ada');
        expect([user.uid, user.owner]).toContain(statSync(memoryFile).uid);
        const second = await connect(user, home, entry, home);
        try {
          const found = await second.client.callTool({ name: 'search_nodes', arguments: { query: 'Ada' } });
          expect(text(found), second.stderr()).toContain('wrote the first program');
          const graph = await second.client.callTool({ name: 'read_graph', arguments: {} });
          expect(text(graph)).toContain('Ada');
        } finally {
          await second.client.close();
        }
        record(
          'server-memory',
          user.label,
          'create_entities, then search_nodes/read_graph in a 2nd session',
          backend,
          t0,
        );
      }, 90_000);

      it('server-everything: echo answers', async () => {
        const t0 = Date.now();
        const s = await connect(user, home, desktop.everything as Launch, home);
        try {
          const result = await s.client.callTool({ name: 'echo', arguments: { message: 'hello warden' } });
          expect(text(result), s.stderr()).toBe('Echo: hello warden');
        } finally {
          await s.client.close();
        }
        record('server-everything', user.label, 'echo', s.backend(), t0);
      }, 90_000);

      it('echo fixture (tests/fixtures/echo-server.mjs): echo answers', async () => {
        const t0 = Date.now();
        const s = await connect(user, home, desktop.echo as Launch, home);
        try {
          const result = await s.client.callTool({ name: 'echo', arguments: { text: 'ping' } });
          expect(text(result), s.stderr()).toBe('ping');
        } finally {
          await s.client.close();
        }
        record('echo fixture', user.label, 'echo', s.backend(), t0);
      }, 90_000);

      it.runIf(user.python)(
        `Python server in a venv on the real mcp SDK: python_prefix is the venv (${user.pythonWhy})`,
        async () => {
          const t0 = Date.now();
          const s = await connect(user, home, desktop.python as Launch, home);
          try {
            const where = JSON.parse(
              text(await s.client.callTool({ name: 'python_prefix', arguments: {} })) || '{}',
            ) as { prefix?: string };
            expect(where.prefix, s.stderr()).toBe(pip.ok ? pip.dir : '');
          } finally {
            await s.client.close();
          }
          record('Python venv (mcp SDK)', user.label, 'python_prefix = the venv', s.backend(), t0);
        },
        90_000,
      );

      it('VS Code .vscode/mcp.json: server-filesystem on ${workspaceFolder} writes into the workspace', async () => {
        const t0 = Date.now();
        const s = await connect(user, home, vscode['workspace-files'] as Launch, workspace);
        try {
          const file = path.join(workspace, 'from-vscode.txt');
          const result = await s.client.callTool({
            name: 'write_file',
            arguments: { path: file, content: 'written in the workspace' },
          });
          expect(result.isError ?? false, `${text(result)}\n${s.stderr()}`).toBe(false);
          expect(existsSync(file) && readFileSync(file, 'utf8')).toBe('written in the workspace');
          // bwrap writes as the warden's user, a container as the folder's owner.
          expect([user.uid, user.owner]).toContain(statSync(file).uid);
        } finally {
          await s.client.close();
        }
        record(
          'VS Code workspace server-filesystem',
          user.label,
          'write_file in ${workspaceFolder}',
          s.backend(),
          t0,
        );
      }, 90_000);
    });
  },
);
