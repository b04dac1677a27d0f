// `mcp-warden learn` on real servers in the real bwrap sandbox, driven by the real SDK client: the
// learned profile passes `explain`, replays the same session with nothing denied, and denies a call
// outside it (another tool, a path outside the learned roots, another host). Loopback only.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { toolText } from '../helpers/tool-text.ts';
import {
  BWRAP_AVAILABLE,
  PROJECT_ROOT,
  type StartedWarden,
  WARDEN_ENTRY,
  startWarden,
} from '../helpers/warden.ts';
import { type CountingServer, httpServer } from './network/loopback-servers.ts';

const FS_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);
const MEMORY_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-memory/dist/index.js',
);
const FETCH_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/fetch-server.mjs');

interface Report {
  granted: Array<{ setting: string; value: string; because: string[] }>;
  wouldNeed: Array<{ setting: string; value: string; because: string[] }>;
  notes: string[];
}

type AuditLine = { event: string; action?: string; rule?: string; verdict?: string; host?: string };

/** Wait for the warden to exit (it writes the learned profile after the session ends). */
async function closeAndWait(warden: StartedWarden): Promise<void> {
  await warden.close();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      process.kill(warden.pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the warden (pid ${warden.pid}) did not exit`);
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

function audit(file: string): AuditLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditLine);
}

/** Non-allow verdicts and refused connections in an audit log. */
function denials(file: string): AuditLine[] {
  return audit(file).filter(
    (e) => e.event === 'verdict' || (e.event === 'network.connection' && e.verdict !== 'allow'),
  );
}

async function expectDenied(promise: Promise<unknown>, rule: string): Promise<void> {
  const error = await promise.then(
    (value) => new Error(`expected a -32001 ${rule} denial, got ${JSON.stringify(value).slice(0, 300)}`),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(McpError);
  expect({
    code: (error as McpError).code,
    rule: ((error as McpError).data as { rule?: string })?.rule,
  }).toEqual({
    code: -32001,
    rule,
  });
}

/** `mcp-warden explain` exits 0 and prints JSON for the learned profile. */
function explain(
  profile: string,
  command: string[],
): { roots: Array<{ path: string; readOnly: boolean }>; policy: { tools: { allow: string[] } } } {
  const out = execFileSync(
    process.execPath,
    [WARDEN_ENTRY, 'explain', '--profile', profile, '--', ...command],
    {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return JSON.parse(out) as ReturnType<typeof explain>;
}

describe.runIf(BWRAP_AVAILABLE)('learn (bwrap)', () => {
  describe('server-filesystem', () => {
    let root: string;
    let out: string;
    const command = (): string[] => ['node', FS_SERVER, root];
    const session = async (warden: StartedWarden): Promise<void> => {
      const call = (name: string, args: Record<string, unknown>) =>
        warden.client.callTool({ name, arguments: args });
      expect(toolText(await call('read_text_file', { path: path.join(root, 'docs/a.txt') }))).toBe('alpha\n');
      expect(toolText(await call('list_directory', { path: path.join(root, 'docs') }))).toContain('a.txt');
      await call('write_file', { path: path.join(root, 'work/out.txt'), content: 'written' });
    };

    beforeAll(async () => {
      root = tmpRoot('learn-fs');
      for (const dir of ['docs', 'work', 'secret']) mkdirSync(path.join(root, dir));
      writeFileSync(path.join(root, 'docs/a.txt'), 'alpha\n');
      writeFileSync(path.join(root, 'secret/key.txt'), 'secret\n');
      out = path.join(tmpRoot('learn-fs-out'), 'fs.json');
      const warden = await startWarden({
        profile: 'bwrap',
        roots: [root],
        extraArgs: ['--learn', out],
        command: command(),
      });
      await session(warden);
      // Blocked while learning: reported as "would need", never granted.
      await expectDenied(
        warden.client.callTool({ name: 'read_text_file', arguments: { path: '/etc/hostname' } }),
        'path.outside-root',
      );
      await closeAndWait(warden);
    }, 60_000);

    it('writes a valid profile narrowed to the directories, tools and mode used', () => {
      const profile = readJson<Record<string, unknown>>(out);
      expect(profile).toMatchObject({
        backend: 'bwrap',
        roots: [`${root}/docs:ro`, `${root}/work`],
        env: [],
        network: false,
        policy: { tools: { allow: ['list_directory', 'read_text_file', 'write_file'] } },
      });
    });

    it('justifies every root and tool with the calls made, and reports what was blocked', () => {
      const report = readJson<Report>(out.replace(/\.json$/, '.report.json'));
      const because = (setting: string, value: string) =>
        report.granted.find((e) => e.setting === setting && e.value === value)?.because ?? [];
      expect(because('roots', `${root}/docs:ro`)).toEqual([
        `read_text_file: ${root}/docs/a.txt`,
        `list_directory: ${root}/docs`,
      ]);
      expect(because('roots', `${root}/work`)).toEqual([`write_file (writes): ${root}/work/out.txt`]);
      expect(because('policy.tools.allow', 'read_text_file')).toEqual([
        'called 1 time',
        `read_text_file ${root}/docs/a.txt`,
      ]);
      expect(because('policy.tools.allow', 'write_file')).toEqual([
        'called 1 time',
        `write_file (writes) ${root}/work/out.txt`,
      ]);
      expect(report.wouldNeed).toContainEqual({
        setting: 'roots',
        value: '/etc',
        because: ['read_text_file: /etc/hostname (denied: path.outside-root)'],
      });
      expect(report.granted.some((e) => e.because.some((b) => b.includes('/etc')))).toBe(false);
      expect(readFileSync(out.replace(/\.json$/, '.report.md'), 'utf8')).toContain(
        `\`roots\`: \`${root}/work\``,
      );
    });

    it('passes explain', () => {
      const plan = explain(out, command());
      expect(plan.roots.map((r) => [r.path, r.readOnly])).toEqual([
        [`${root}/docs`, true],
        [`${root}/work`, false],
      ]);
      expect(plan.policy.tools.allow).toEqual(['list_directory', 'read_text_file', 'write_file']);
    });

    it('replays the same session with nothing denied, and denies calls outside it', async () => {
      const log = path.join(path.dirname(out), 'replay.jsonl');
      const warden = await startWarden({ profile: out as 'bwrap', auditLog: log, command: command() });
      await session(warden);
      expect(denials(log)).toEqual([]);
      const call = (name: string, args: Record<string, unknown>) =>
        warden.client.callTool({ name, arguments: args });
      await expectDenied(
        call('read_text_file', { path: path.join(root, 'secret/key.txt') }),
        'path.outside-root',
      );
      await expectDenied(
        call('write_file', { path: path.join(root, 'docs/new.txt'), content: 'x' }),
        'path.read-only',
      );
      await expectDenied(call('directory_tree', { path: path.join(root, 'docs') }), 'tool.not-allowed');
      expect(existsSync(path.join(root, 'docs/new.txt'))).toBe(false);
      await closeAndWait(warden);
    }, 60_000);

    it('keeps a client config from widening it: --root is narrowed, one outside is refused', async () => {
      const args = ['explain', '--profile', out, '--root', root, '--', ...command()];
      const plan = JSON.parse(
        execFileSync(process.execPath, [WARDEN_ENTRY, ...args], {
          cwd: PROJECT_ROOT,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      ) as { roots: Array<{ path: string; readOnly: boolean }> };
      expect(plan.roots.map((r) => r.path)).toEqual([`${root}/docs`, `${root}/work`]);
      const outside = tmpRoot('learn-outside');
      const refused = spawnSync(
        process.execPath,
        [WARDEN_ENTRY, 'explain', '--profile', out, '--root', outside, '--', ...command()],
        {
          cwd: PROJECT_ROOT,
          encoding: 'utf8',
        },
      );
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(
        `--root ${outside}: outside the roots profile "fs" limits the server to`,
      );
    });
  });

  describe('server-memory', () => {
    let root: string;
    let out: string;
    let memoryFile: string;
    const command = ['node', MEMORY_SERVER];
    const session = async (warden: StartedWarden): Promise<void> => {
      await warden.client.callTool({
        name: 'create_entities',
        arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote programs'] }] },
      });
      expect(toolText(await warden.client.callTool({ name: 'read_graph', arguments: {} }))).toContain('Ada');
    };

    beforeAll(async () => {
      root = tmpRoot('learn-memory');
      mkdirSync(path.join(root, 'state'));
      mkdirSync(path.join(root, 'unused'));
      memoryFile = path.join(root, 'state/memory.jsonl');
      out = path.join(tmpRoot('learn-memory-out'), 'memory.json');
      const warden = await startWarden({
        profile: 'bwrap',
        roots: [root],
        env: [`MEMORY_FILE_PATH=${memoryFile}`],
        extraArgs: ['--learn', out],
        command,
      });
      await session(warden);
      await closeAndWait(warden);
    }, 60_000);

    it('learns the tools called, the env name given, and the state directory the server wrote', () => {
      const profile = readJson<Record<string, unknown>>(out);
      expect(profile).toMatchObject({
        roots: [`${root}/state`],
        env: ['MEMORY_FILE_PATH'],
        network: false,
        policy: { tools: { allow: ['create_entities', 'read_graph'] } },
      });
      const report = readJson<Report>(out.replace(/\.json$/, '.report.json'));
      expect(report.granted.find((e) => e.setting === 'roots')?.because).toEqual([
        `env MEMORY_FILE_PATH names ${memoryFile} (written during the session)`,
      ]);
      expect(report.granted.find((e) => e.value === 'create_entities')?.because).toEqual([
        'called 1 time',
        'create_entities (writes) (no path)',
      ]);
    });

    it('passes explain, replays with nothing denied, and denies another tool', async () => {
      expect(explain(out, command).policy.tools.allow).toEqual(['create_entities', 'read_graph']);
      const log = path.join(path.dirname(out), 'replay.jsonl');
      // The profile names the variable; its value comes from the warden's environment, as with --env NAME.
      const warden = await startWarden({
        profile: out as 'bwrap',
        auditLog: log,
        wardenEnv: { ...process.env, MEMORY_FILE_PATH: memoryFile },
        command,
      });
      await session(warden);
      expect(denials(log)).toEqual([]);
      await expectDenied(
        warden.client.callTool({ name: 'delete_entities', arguments: { entityNames: ['Ada'] } }),
        'tool.not-allowed',
      );
      await closeAndWait(warden);
      expect(readFileSync(memoryFile, 'utf8')).toContain('Ada');
    }, 60_000);
  });

  describe('network fixture (loopback)', () => {
    let api: CountingServer;
    let other: CountingServer;
    let dir: string;
    let base: string;
    const command = ['node', FETCH_SERVER];
    const fetchUrl = (warden: StartedWarden, url: string) =>
      warden.client.callTool({ name: 'fetch_url', arguments: { url } }).then(toolText);

    beforeAll(async () => {
      api = await httpServer();
      other = await httpServer();
      dir = tmpRoot('learn-net');
      base = path.join(dir, 'base.json');
      writeFileSync(
        base,
        JSON.stringify({
          name: 'net-base',
          backend: 'bwrap',
          network: {
            allowPrivate: true,
            resolve: { 'api.example.test': '127.0.0.1', 'other.example.test': '127.0.0.1' },
          },
        }),
      );
    });

    afterAll(async () => {
      await api?.close();
      await other?.close();
    });

    it('with --learn-network, learns exactly the host:port the proxy carried; the profile denies any other', async () => {
      const out = path.join(dir, 'fetch.json');
      const learnLog = path.join(dir, 'learn.jsonl');
      const warden = await startWarden({
        profile: base as 'bwrap',
        auditLog: learnLog,
        extraArgs: ['--learn', out, '--learn-network'],
        command,
      });
      expect(await fetchUrl(warden, `http://api.example.test:${api.port}/one`)).toMatch(/^200 hello/);
      await closeAndWait(warden);
      const profile = readJson<{ network: { allow: string[]; resolve: Record<string, string> } }>(out);
      expect(profile.network.allow).toEqual([`api.example.test:${api.port}`]);
      expect(profile.network.resolve).toEqual({ 'api.example.test': '127.0.0.1' });
      const report = readJson<Report>(out.replace(/\.json$/, '.report.json'));
      expect(report.granted.find((e) => e.setting === 'network.allow')?.because[0]).toMatch(
        /^1 connection \(/,
      );
      expect(explain(out, command).policy.tools.allow).toEqual(['fetch_url']);

      const log = path.join(dir, 'replay.jsonl');
      const replay = await startWarden({ profile: out as 'bwrap', auditLog: log, command });
      expect(await fetchUrl(replay, `http://api.example.test:${api.port}/one`)).toMatch(/^200 hello/);
      expect(denials(log)).toEqual([]);
      const hits = other.hits();
      expect(await fetchUrl(replay, `http://other.example.test:${other.port}/`)).toMatch(/^403 /);
      expect(await fetchUrl(replay, `http://api.example.test:${other.port}/`)).toMatch(/^403 /);
      expect(other.hits()).toBe(hits);
      await expectDenied(replay.client.callTool({ name: 'probe', arguments: {} }), 'tool.not-allowed');
      await closeAndWait(replay);
      expect(denials(log).map((e) => [e.event, e.rule])).toEqual([
        ['network.connection', 'network.host-not-allowed'],
        ['network.connection', 'network.host-not-allowed'],
        ['verdict', 'tool.not-allowed'],
      ]);
    }, 90_000);

    it('without --learn-network, only --allow-host hosts are reached; the rest is "would need"', async () => {
      const out = path.join(dir, 'fetch-allow.json');
      const warden = await startWarden({
        profile: base as 'bwrap',
        extraArgs: ['--learn', out, '--allow-host', `api.example.test:${api.port}`],
        command,
      });
      expect(await fetchUrl(warden, `http://api.example.test:${api.port}/`)).toMatch(/^200 /);
      expect(await fetchUrl(warden, `http://other.example.test:${other.port}/`)).toMatch(/^403 /);
      await closeAndWait(warden);
      expect(readJson<{ network: { allow: string[] } }>(out).network.allow).toEqual([
        `api.example.test:${api.port}`,
      ]);
      const report = readJson<Report>(out.replace(/\.json$/, '.report.json'));
      expect(report.wouldNeed.map((e) => [e.setting, e.value])).toEqual([
        ['network.allow', `other.example.test:${other.port}`],
      ]);
    }, 60_000);
  });

  describe('refusals', () => {
    it('never learns silently without a sandbox: a profile with backend none is refused unless --profile none', () => {
      const dir = tmpRoot('learn-none');
      const file = path.join(dir, 'none-profile.json');
      writeFileSync(file, JSON.stringify({ name: 'plain', backend: 'none' }));
      const out = path.join(dir, 'p.json');
      const result = spawnSync(
        process.execPath,
        [WARDEN_ENTRY, 'learn', '--profile', file, '--out', out, '--', 'node', MEMORY_SERVER],
        { cwd: PROJECT_ROOT, encoding: 'utf8', input: '' },
      );
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('learn would run the server without any sandbox');
      expect(result.stderr).toContain('--profile none');
      expect(result.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    });

    it('learn --out with an explicit --profile none writes the profile; stdout stays the MCP channel', () => {
      const dir = tmpRoot('learn-none-ok');
      const out = path.join(dir, 'p.json');
      const result = spawnSync(
        process.execPath,
        [WARDEN_ENTRY, 'learn', '--profile', 'none', '--out', out, '--', 'node', MEMORY_SERVER],
        { cwd: PROJECT_ROOT, encoding: 'utf8', input: '' },
      );
      expect(result.status).toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`learned profile written to ${out}`);
      expect(readJson<{ backend: string; policy: { tools: { allow: string[] } } }>(out)).toMatchObject({
        backend: 'none',
        policy: { tools: { allow: [] } },
      });
    });

    it('says what is missing for bad learn options', () => {
      const run = (args: string[]) =>
        spawnSync(process.execPath, [WARDEN_ENTRY, ...args], {
          cwd: PROJECT_ROOT,
          encoding: 'utf8',
          input: '',
        });
      const noOut = run(['learn', '--profile', 'bwrap', '--', 'node', MEMORY_SERVER]);
      expect([noOut.status, noOut.stderr]).toEqual([2, expect.stringContaining('needs --out FILE')]);
      const stray = run(['run', '--learn-network', '--', 'node', MEMORY_SERVER]);
      expect([stray.status, stray.stderr]).toEqual([
        2,
        expect.stringContaining('--learn-network only applies while learning'),
      ]);
      const badDir = run(['learn', '--out', '/nonexistent-dir/p.json', '--', 'node', MEMORY_SERVER]);
      expect([badDir.status, badDir.stderr]).toEqual([
        2,
        expect.stringContaining('cannot write in /nonexistent-dir'),
      ]);
    });
  });
});
