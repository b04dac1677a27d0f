// Issue 15 item 10: the real client programs that install from npm (Claude Code, Gemini CLI, Codex CLI)
// list a server that `wrap` rewrote in their own config, and the two that connect (Claude Code, Gemini)
// report it connected. The server's argument holds a client variable (${WRAP_DATA} / $WRAP_DATA): it
// connects only if the client expanded the `--root` wrap wrote exactly as it expands the server's own
// argument (item 4). The clients run with HOME in a temp dir, in an empty network namespace (offline:
// nothing leaves the machine), and are installed at test time from the npm registry into a per-version
// cache under node_modules/.cache (about 30 s and 0.9 GB the first time); the tests skip, saying so in
// their titles, only when the registry cannot be reached.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_PROFILE, GVISOR_PROFILE, shareWithSandbox } from '../helpers/containers.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { stopPool, waitForPool, warmEvent } from '../helpers/warm-pool.ts';
import { BWRAP_AVAILABLE, ECHO_SERVER, PROJECT_ROOT, WARDEN_ENTRY } from '../helpers/warden.ts';

/** Pinned so a run is reproducible; bump deliberately. */
const CLIENTS = {
  claude: { pkg: '@anthropic-ai/claude-code', version: '2.1.332' },
  gemini: { pkg: '@google/gemini-cli', version: '0.61.0' },
  codex: { pkg: '@openai/codex', version: '0.171.0' },
} as const;
const CACHE = path.join(PROJECT_ROOT, 'node_modules/.cache/mcp-warden-clients');
const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';
/** The container profile for the --warm case: the pool keeps ready containers of docker or gvisor. */
const WARM_PROFILE = GVISOR_PROFILE.enabled ? 'gvisor' : DOCKER_PROFILE.enabled ? 'docker' : undefined;

const installDir = (name: keyof typeof CLIENTS): string =>
  path.join(CACHE, `${name}-${CLIENTS[name].version}`);
const installed = (name: keyof typeof CLIENTS): boolean =>
  existsSync(path.join(installDir(name), 'node_modules', ...CLIENTS[name].pkg.split('/'), 'package.json'));

/** Why the clients cannot be had here, or undefined when they can (already cached, or the registry answers). */
function unavailable(): string | undefined {
  const offline = spawnSync('unshare', [...(process.getuid?.() === 0 ? [] : ['-r']), '-n', 'true']);
  if (offline.status !== 0) return 'unshare -n does not work here, so the clients cannot be kept offline';
  if ((Object.keys(CLIENTS) as (keyof typeof CLIENTS)[]).every(installed)) return undefined;
  const ping = spawnSync('npm', ['view', `${CLIENTS.gemini.pkg}@${CLIENTS.gemini.version}`, 'version'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return ping.status === 0 ? undefined : 'the npm registry is unreachable';
}
const SKIP = unavailable();

function install(name: keyof typeof CLIENTS): void {
  if (installed(name)) return;
  const dir = installDir(name);
  mkdirSync(dir, { recursive: true });
  const { pkg, version } = CLIENTS[name];
  // Install scripts stay off: Claude Code's only copies its native binary, which we run directly.
  const out = spawnSync(
    'npm',
    [
      'install',
      '--no-save',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefix',
      dir,
      `${pkg}@${version}`,
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
  if (out.status !== 0) throw new Error(`npm install ${pkg}@${version} failed:\n${out.stderr}`);
}

/** The client's own executable and the words before its arguments. */
function program(name: keyof typeof CLIENTS): string[] {
  const modules = path.join(installDir(name), 'node_modules');
  if (name === 'claude') {
    const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
    return [path.join(modules, `@anthropic-ai/claude-code-linux-${arch}`, 'claude')];
  }
  if (name === 'gemini') return [process.execPath, path.join(modules, '@google/gemini-cli/bundle/gemini.js')];
  return [process.execPath, path.join(modules, '@openai/codex/bin/codex.js')];
}

/** Run `CLIENT mcp list` offline with HOME in `home`, from `cwd`. */
function mcpList(name: keyof typeof CLIENTS, home: string, cwd: string) {
  const [file, ...pre] = program(name);
  const out = spawnSync(
    'unshare',
    [...(process.getuid?.() === 0 ? [] : ['-r']), '-n', file ?? '', ...pre, 'mcp', 'list'],
    {
      cwd,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        WRAP_DATA: path.join(home, 'data'),
        GEMINI_CLI_TRUST_WORKSPACE: 'true',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_AUTOUPDATER: '1',
        CODEX_HOME: path.join(home, '.codex'),
      },
    },
  );
  return { code: out.status, output: `${out.stdout}${out.stderr}` };
}

/**
 * Write `text` at HOME/relative, wrap it with the warden under test (`options`: wrap's own, default
 * `--profile PROFILE`), and return the wrapped text.
 */
function wrapIn(home: string, relative: string, text: string, options = ['--profile', PROFILE]): string {
  const file = path.join(home, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  const out = spawnSync(process.execPath, [WARDEN_ENTRY, 'wrap', '--config', file, ...options], {
    encoding: 'utf8',
    env: { ...process.env, HOME: home, WRAP_DATA: path.join(home, 'data') },
    timeout: 30_000,
  });
  expect(out.status, out.stderr).toBe(0);
  expect(out.stdout).toMatch(/echo: wrapped/);
  return readFileSync(file, 'utf8');
}

/**
 * Add `--audit-log FILE` to the `run` of server `name` in the JSON config at HOME/relative (a wrapped
 * Claude Code or Gemini config), so a test can read what the warden did.
 */
function auditInto(home: string, relative: string, name: string, file: string): void {
  const config = path.join(home, relative);
  const json = JSON.parse(readFileSync(config, 'utf8')) as {
    mcpServers: Record<string, { args: string[] }>;
  };
  const args = json.mcpServers[name]?.args ?? [];
  const at = args.indexOf('run');
  expect(at).toBeGreaterThanOrEqual(0);
  args.splice(at + 1, 0, '--audit-log', file);
  writeFileSync(config, `${JSON.stringify(json, null, 2)}\n`);
}

/** The outcomes of the `fast-start` audit events in `file`, in order. */
function fastStartOutcomes(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"event":"fast-start"'))
    .map((line) => (JSON.parse(line) as { outcome: string }).outcome);
}

function newHome(): { home: string; project: string } {
  const home = tmpRoot('real-client-home');
  mkdirSync(path.join(home, 'data'));
  const project = path.join(home, 'project');
  mkdirSync(project);
  return { home, project };
}

describe.skipIf(SKIP !== undefined)(
  `real clients list the wrapped server (profile ${PROFILE})${SKIP ? ` — SKIPPED: ${SKIP}` : ''}`,
  () => {
    beforeAll(() => {
      for (const name of Object.keys(CLIENTS) as (keyof typeof CLIENTS)[]) install(name);
    }, 600_000);

    it(`Claude Code ${CLIENTS.claude.version}: claude mcp list shows it connected, \${WRAP_DATA} expanded in --root`, () => {
      const { home, project } = newHome();
      const wrapped = wrapIn(
        home,
        '.claude.json',
        `${JSON.stringify({ mcpServers: { echo: { type: 'stdio', command: process.execPath, args: [ECHO_SERVER, '${WRAP_DATA}'], env: {} } } }, null, 2)}\n`,
      );
      expect(wrapped).toContain('"--root", "${WRAP_DATA}"');
      const list = mcpList('claude', home, project);
      expect(list.output).toMatch(/echo: .*mcp-warden|echo: .*main\.ts/);
      expect(list.output).toMatch(/echo: .* - ✔ Connected|echo: .* - ✓ Connected/);
    });

    it(`Gemini CLI ${CLIENTS.gemini.version}: gemini mcp list shows it connected, $WRAP_DATA expanded in --root`, () => {
      const { home, project } = newHome();
      const wrapped = wrapIn(
        home,
        '.gemini/settings.json',
        `${JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [ECHO_SERVER, '$WRAP_DATA'] } } }, null, 2)}\n`,
      );
      expect(wrapped).toContain('"--root", "$WRAP_DATA"');
      const list = mcpList('gemini', home, project);
      expect(list.output).toMatch(/✓ echo: .*\(stdio\) - Connected/);
    });

    it.each(['claude', 'gemini'] as const)(
      '%s: the second listing of the same config connects through the fast start (a cached launch adopted)',
      (name) => {
        const { home, project } = newHome();
        const relative = name === 'claude' ? '.claude.json' : '.gemini/settings.json';
        const server =
          name === 'claude'
            ? { type: 'stdio', command: process.execPath, args: [ECHO_SERVER, '${WRAP_DATA}'], env: {} }
            : { command: process.execPath, args: [ECHO_SERVER, '$WRAP_DATA'] };
        wrapIn(home, relative, `${JSON.stringify({ mcpServers: { echo: server } }, null, 2)}\n`);
        const audit = path.join(home, 'audit.jsonl');
        auditInto(home, relative, 'echo', audit);
        const connected = /echo: .*Connected/;
        const first = mcpList(name, home, project);
        expect(first.output).toMatch(connected);
        expect(fastStartOutcomes(audit)[0]).toBe('miss');
        const second = mcpList(name, home, project);
        expect(second.output).toMatch(connected);
        // Every start after the first found the launch the first one cached, and adopted it.
        const later = fastStartOutcomes(audit).slice(1);
        expect(later.length).toBeGreaterThan(0);
        expect(
          later.every((outcome) => outcome === 'adopted'),
          readFileSync(audit, 'utf8'),
        ).toBe(true);
      },
    );

    it.runIf(WARM_PROFILE !== undefined)(
      `Claude Code: a config wrapped with --profile ${WARM_PROFILE ?? '(docker or gvisor: SKIPPED, neither runs here)'} --warm starts from the pool's ready container on the next listing`,
      async () => {
        const profile = WARM_PROFILE as string;
        const { home, project } = newHome();
        // The container's user (not root) reads the root; the pool lives in HOME's default state dir.
        shareWithSandbox(path.join(home, 'data'), profile);
        const state = path.join(home, '.local', 'state', 'mcp-warden');
        try {
          const wrapped = wrapIn(
            home,
            '.claude.json',
            `${JSON.stringify({ mcpServers: { echo: { type: 'stdio', command: process.execPath, args: [ECHO_SERVER, '${WRAP_DATA}'], env: {} } } }, null, 2)}\n`,
            ['--profile', profile, '--warm'],
          );
          expect(wrapped).toMatch(/"--warm",\s*"--"/);
          const audit = path.join(home, 'audit.jsonl');
          auditInto(home, '.claude.json', 'echo', audit);
          const connected = /echo: .*Connected/;

          const first = mcpList('claude', home, project);
          expect(first.output).toMatch(connected);
          expect(warmEvent(audit), readFileSync(audit, 'utf8')).toMatchObject({ hit: false });
          // The daemon the first start left behind fills one container of this plan.
          await waitForPool(state, (status) => status.ready.length === 1, 90_000);

          const second = mcpList('claude', home, project);
          expect(second.output).toMatch(connected);
          const event = warmEvent(audit);
          expect(event?.hit, readFileSync(audit, 'utf8')).toBe(true);
          expect(event?.detail).toMatch(/took ready container [0-9a-f]{12}/);
        } finally {
          expect(await stopPool(state)).toHaveLength(1);
        }
      },
      240_000,
    );

    it(`Codex CLI ${CLIENTS.codex.version}: codex mcp list shows the wrapped command`, () => {
      const { home, project } = newHome();
      wrapIn(
        home,
        '.codex/config.toml',
        `# my servers\n[mcp_servers.echo]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(ECHO_SERVER)}, ${JSON.stringify(path.join(home, 'data'))}] # data\n`,
      );
      const list = mcpList('codex', home, project);
      expect(list.code, list.output).toBe(0);
      const line = list.output.split('\n').find((l) => l.startsWith('echo '));
      expect(line, list.output).toContain(process.execPath);
      expect(line).toContain(WARDEN_ENTRY);
      expect(line).toMatch(/enabled/);
    });
  },
);
