// Every sandboxed server gets a private, persistent HOME under the warden's state directory
// (STATE/homes/NAME): what it keeps in ~/.something survives to its next session, on every backend,
// and nothing of the real home is in it. `explain` shows the home; `run` warns about an --env value
// naming a host path the sandbox cannot see, and says which --root would show it.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BWRAP_PROFILE,
  DOCKER_PROFILE,
  GVISOR_PROFILE,
  ISOLATE_PROFILE,
  NONE_PROFILE,
  isContainer,
  ourContainers,
} from '../helpers/containers.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import {
  ECHO_SERVER,
  PROJECT_ROOT,
  WARDEN_ENTRY,
  exitWithin,
  initializeRaw,
  spawnWardenRaw,
  startWarden,
} from '../helpers/warden.ts';

const SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/home-state-server.mjs');
const text = (result: unknown): string =>
  (result as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '';

/** The warden's environment with its own state directory. */
function wardenEnv(stateDir: string): NodeJS.ProcessEnv {
  return { ...process.env, MCP_WARDEN_STATE_DIR: stateDir };
}

/** `mcp-warden explain ARGS` as parsed JSON. */
function explain(
  args: string[],
  env: NodeJS.ProcessEnv,
): Record<string, unknown> & {
  stateHome?: { path: string; name: string; why: string };
  mounts: Array<{ path: string; mode: string; why: string }>;
  warnings: string[];
  serverEnv: Record<string, string>;
} {
  const result = spawnSync(process.execPath, [WARDEN_ENTRY, 'explain', ...args], {
    encoding: 'utf8',
    env,
    cwd: PROJECT_ROOT,
  });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ReturnType<typeof explain>;
}

describe.each([NONE_PROFILE, BWRAP_PROFILE, DOCKER_PROFILE, GVISOR_PROFILE, ISOLATE_PROFILE])(
  'a server keeps what it writes in HOME across sessions, profile $profile',
  ({ profile, enabled, status }) => {
    describe.runIf(enabled)(`(${status})`, () => {
      let STATE: string;
      let home: string;

      beforeAll(() => {
        STATE = tmpRoot(`state-${profile}`);
        const plan = explain(['--profile', profile, '--', process.execPath, SERVER], wardenEnv(STATE));
        home = plan.stateHome?.path ?? '(no state home)';
      });

      afterAll(async () => {
        if (isContainer(profile)) expect(await ourContainers()).toEqual([]);
      });

      it('session 1: HOME is the private state home, with nothing of the real home in it', async () => {
        expect(path.dirname(home)).toBe(path.join(STATE, 'homes'));
        expect(existsSync(home)).toBe(false); // explain created nothing
        const warden = await startWarden({
          profile,
          command: [process.execPath, SERVER],
          wardenEnv: wardenEnv(STATE),
        });
        try {
          const first = await warden.client.callTool({
            name: 'remember',
            arguments: { text: 'first session' },
          });
          expect(text(first), JSON.stringify(first)).toBe('first session\n');
          const where = JSON.parse(
            text(await warden.client.callTool({ name: 'whereami', arguments: {} })),
          ) as {
            HOME: string;
            homedir: string;
            entries: string[];
          };
          expect(where).toEqual({ HOME: home, homedir: home, entries: ['.home-state-server'] });
        } finally {
          await warden.close();
        }
        expect(statSync(home).mode & 0o777).toBe(0o700);
      });

      it('session 2 finds what session 1 kept', async () => {
        const warden = await startWarden({
          profile,
          command: [process.execPath, SERVER],
          wardenEnv: wardenEnv(STATE),
        });
        try {
          const second = await warden.client.callTool({
            name: 'remember',
            arguments: { text: 'second session' },
          });
          expect(text(second), JSON.stringify(second)).toBe('first session\nsecond session\n');
        } finally {
          await warden.close();
        }
        expect(readFileSync(path.join(home, '.home-state-server', 'notes.txt'), 'utf8')).toBe(
          'first session\nsecond session\n',
        );
      });
    });
  },
);

describe('the state home in explain, --name, and --env paths the sandbox cannot see', () => {
  let STATE: string;
  let OUTSIDE: string;
  let ROOT: string;
  beforeAll(() => {
    STATE = tmpRoot('state-explain');
    OUTSIDE = tmpRoot('env-outside');
    ROOT = tmpRoot('env-root');
    mkdirSync(path.join(OUTSIDE, 'share'));
    writeFileSync(path.join(OUTSIDE, 'share', 'memory.json'), '');
  });

  it('explain shows the home as a read-write mount and HOME; --name names it; explain creates nothing', () => {
    const plan = explain(
      ['--profile', 'bwrap', '--name', 'memory', '--', process.execPath, ECHO_SERVER],
      wardenEnv(STATE),
    );
    const home = path.join(STATE, 'homes', 'memory');
    expect(plan.stateHome).toEqual({ path: home, name: 'memory', why: 'named by --name memory' });
    expect(plan.mounts).toContainEqual(expect.objectContaining({ path: home, mode: 'rw' }));
    expect(plan.serverEnv).toHaveProperty('HOME');
    expect(readdirSync(STATE)).toEqual([]);
    const other = explain(['--profile', 'bwrap', '--', process.execPath, ECHO_SERVER], wardenEnv(STATE));
    // The fixture lies in this project's package: its name, and a hash of the script's path.
    expect(other.stateHome?.name).toMatch(/^mcp-warden-[0-9a-f]{8}$/);
  });

  it('refuses a --name that is not a plain file name (exit 2)', () => {
    const result = spawnSync(
      process.execPath,
      [WARDEN_ENTRY, 'explain', '--name', '../escape', '--', process.execPath, ECHO_SERVER],
      { encoding: 'utf8', env: wardenEnv(STATE) },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--name "\.\.\/escape": not a valid server name/);
  });

  it('run warns, one line each, about --env host paths outside the roots and the home, naming the --root', async () => {
    const file = path.join(OUTSIDE, 'share', 'memory.json');
    const missing = path.join(OUTSIDE, 'not-yet', 'data.json');
    const warden = spawnWardenRaw(
      [
        'run',
        '--profile',
        'bwrap',
        '--root',
        ROOT,
        '--env',
        `MEMORY_FILE_PATH=${file}`,
        '--env',
        `DATA=${missing}`,
        '--env',
        `INSIDE=${path.join(ROOT, 'x.json')}`,
        '--env',
        'NULL=/dev/null',
        '--env',
        'URL=https://example.invalid/a',
        '--',
        process.execPath,
        ECHO_SERVER,
      ],
      { env: wardenEnv(STATE) },
    );
    await initializeRaw(warden);
    warden.endInput();
    await exitWithin(warden, 10_000);
    const lines = warden
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('mcp-warden: --env '));
    expect(lines).toEqual([
      `mcp-warden: --env MEMORY_FILE_PATH: ${file} is not visible inside the sandbox (under no --root, not in the server's home); --root ${path.join(OUTSIDE, 'share')} would make it visible`,
      `mcp-warden: --env DATA: ${missing} is not visible inside the sandbox (under no --root, not in the server's home); --root ${path.join(OUTSIDE, 'not-yet')} would make it visible`,
    ]);
  });

  it('after a session, a --root through a link inside a server home is refused like one in a rw root', async () => {
    const warden = spawnWardenRaw(
      ['run', '--profile', 'bwrap', '--name', 'planter', '--', process.execPath, ECHO_SERVER],
      { env: wardenEnv(STATE) },
    );
    await initializeRaw(warden);
    warden.endInput();
    await exitWithin(warden, 10_000);
    // What a server could leave in its home: a link to somewhere else on the host.
    const link = path.join(STATE, 'homes', 'planter', 'innocent-looking');
    symlinkSync(OUTSIDE, link);
    const result = spawnSync(
      process.execPath,
      [WARDEN_ENTRY, 'explain', '--profile', 'bwrap', '--root', link, '--', process.execPath, ECHO_SERVER],
      { encoding: 'utf8', env: wardenEnv(STATE) },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /resolves through the symlink .*innocent-looking.* a read-write root of an earlier mcp-warden session/,
    );
  });
});
