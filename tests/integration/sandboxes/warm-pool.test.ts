// `run --warm` (docker, gvisor): a per-user daemon keeps one started container per plan; the next
// warden of exactly that plan attaches to it instead of waiting for the engine. Real engine, real
// server-filesystem, real SDK client. Each test has its own state directory, hence its own daemon,
// and stops it at the end; what is observed is the audit log's sandbox.warm event and the engine's
// containers, never a timing.
import { chmodSync, lstatSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { poolPaths } from '../../../src/sandboxes/docker/warm/pool-paths.ts';
import {
  BWRAP_PROFILE,
  CONTAINER_PROFILES,
  DOCKER_PROFILE,
  shareWithSandbox,
} from '../../helpers/containers.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import {
  containerExists,
  containersOwnedBy,
  daemonPids,
  eventually,
  poolStatus,
  stopPool,
  waitForPool,
  warmEnv,
  warmEvent,
} from '../../helpers/warm-pool.ts';
import { ECHO_SERVER, PROJECT_ROOT, type StartedWarden, startWarden } from '../../helpers/warden.ts';

const FS_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);
const BANNER_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/stdout-banner-server.mjs');

/** Real engines on a shared 2-core machine: a gVisor start alone can take seconds. */
const TIMEOUT = 120_000;

const text = (result: unknown): string =>
  (result as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '';

/** State directories of the current test: their daemons are stopped after it. */
const states: string[] = [];
afterEach(async () => {
  for (const state of states.splice(0)) await stopPool(state);
});

function newState(name: string): string {
  const state = tmpRoot(`warm-${name}`);
  states.push(state);
  return state;
}

/** A root with a file the server can read (shared with the container's user when tests run as root). */
function newRoot(name: string, profile: string): string {
  const root = tmpRoot(`warm-root-${name}`);
  writeFileSync(path.join(root, 'hello.txt'), `hello from ${name}\n`);
  return shareWithSandbox(root, profile);
}

interface Warm {
  warden: StartedWarden;
  audit: string;
}

/** `run --warm` of server-filesystem on `root`, with the pool of `state`. */
async function runWarm(
  profile: string,
  state: string,
  root: string,
  options: { env?: string[]; idleMs?: number; extraArgs?: string[] } = {},
): Promise<Warm> {
  const audit = path.join(tmpRoot('warm-audit'), 'audit.jsonl');
  const warden = await startWarden({
    profile: profile as 'docker',
    roots: [root],
    env: options.env ?? [],
    auditLog: audit,
    extraArgs: ['--warm', ...(options.extraArgs ?? [])],
    command: [process.execPath, FS_SERVER, root],
    wardenEnv: warmEnv(state, options.idleMs),
  });
  return { warden, audit };
}

/** The warm event of a session, once written (it follows the launch). */
async function outcome(warm: Warm): Promise<{ hit: boolean; detail: string }> {
  let event = warmEvent(warm.audit);
  await eventually(() => (event = warmEvent(warm.audit)) !== undefined, 'a sandbox.warm event', 10_000);
  return event as unknown as { hit: boolean; detail: string };
}

/** The container id a hit took (from its audit detail), checked against the engine. */
function takenId(event: { detail: string }): string {
  const id = /took ready container ([0-9a-f]{12})/.exec(event.detail)?.[1];
  expect(id, event.detail).toBeDefined();
  return id as string;
}

/**
 * Start a pool for (root, no env) and wait until it holds a ready container whose server has booted
 * (it said so on stderr). Returns the daemon pid.
 */
async function primedPool(profile: string, state: string, root: string): Promise<number> {
  const first = await runWarm(profile, state, root);
  expect(await outcome(first)).toMatchObject({ hit: false, detail: expect.stringMatching(/started one/) });
  await first.warden.close();
  const status = await waitForPool(state, (s) => s.ready.length === 1 && (s.ready[0]?.stderrBytes ?? 0) > 0);
  return status.pid;
}

describe.each(CONTAINER_PROFILES)('run --warm, profile $profile', ({ profile, enabled, status }) => {
  describe.runIf(enabled)(`(${status})`, () => {
    it(
      'the next run of the same plan takes the ready container and works; another root or env misses',
      async () => {
        const state = newState(`hit-${profile}`);
        const root = newRoot(`hit-${profile}`, profile);
        await primedPool(profile, state, root);

        const second = await runWarm(profile, state, root);
        const event = await outcome(second);
        expect(event.hit, event.detail).toBe(true);
        const id = takenId(event);
        // The session is a normal one: a tool call reads the root; the server's boot stderr was kept.
        const read = await second.warden.client.callTool({
          name: 'read_text_file',
          arguments: { path: path.join(root, 'hello.txt') },
        });
        expect(text(read)).toBe(`hello from hit-${profile}\n`);
        expect(second.warden.stderr()).toContain('Secure MCP Filesystem Server running on stdio');
        const handed = await waitForPool(state, (s) => s.handedOut === 1);
        expect(handed.ready.map((r) => r.id.slice(0, 12))).not.toContain(id);
        await second.warden.close();
        // The warden removed the container it used; the daemon's next one is another container.
        await eventually(async () => !(await containerExists(id)), `container ${id} removed`);
        const refilled = await waitForPool(state, (s) => s.ready.length === 1 && s.handedOut === 0);
        expect(refilled.ready[0]?.id.slice(0, 12)).not.toBe(id);

        // Another root: another plan. Another --env value: another plan. Neither takes the ready one.
        const otherRoot = newRoot(`other-${profile}`, profile);
        const other = await runWarm(profile, state, otherRoot);
        expect(await outcome(other)).toMatchObject({
          hit: false,
          detail: 'no ready container of this plan yet',
        });
        await other.warden.close();
        const withEnv = await runWarm(profile, state, root, { env: ['WARM_TEST=1'] });
        expect(await outcome(withEnv)).toMatchObject({
          hit: false,
          detail: 'no ready container of this plan yet',
        });
        await withEnv.warden.close();
        const still = await poolStatus(state);
        expect(still?.ready.map((r) => r.id)).toContain(refilled.ready[0]?.id);
      },
      TIMEOUT,
    );

    it(
      'a warden killed with SIGKILL: the daemon removes the container it handed over',
      async () => {
        const state = newState(`kill-${profile}`);
        const root = newRoot(`kill-${profile}`, profile);
        await primedPool(profile, state, root);
        const taken = await runWarm(profile, state, root);
        const id = takenId(await outcome(taken));
        await taken.warden.client.callTool({ name: 'list_allowed_directories', arguments: {} });
        process.kill(taken.warden.pid, 'SIGKILL');
        await eventually(
          async () => !(await containerExists(id)),
          `container ${id} removed after its warden died`,
        );
      },
      TIMEOUT,
    );

    it(
      'idle: the daemon removes its ready containers and its socket, and exits',
      async () => {
        const state = newState(`idle-${profile}`);
        const root = newRoot(`idle-${profile}`, profile);
        const first = await runWarm(profile, state, root, { idleMs: 4000 });
        await first.warden.close();
        const ready = await waitForPool(state, (s) => s.ready.length === 1);
        const [readyId] = ready.ready.map((r) => r.id);
        await eventually(() => daemonPids(state).length === 0, 'the daemon exited', 60_000);
        expect(await containersOwnedBy(ready.pid)).toEqual([]);
        expect(await containerExists(readyId as string)).toBe(false);
        expect(() => lstatSync(poolPaths({ MCP_WARDEN_STATE_DIR: state }).socket)).toThrow(/ENOENT/);
      },
      TIMEOUT,
    );

    it(
      'a daemon killed with SIGKILL: the reaper removes its ready containers, not one a live warden uses',
      async () => {
        const state = newState(`daemon-kill-${profile}`);
        const root = newRoot(`daemon-kill-${profile}`, profile);
        await primedPool(profile, state, root);
        const user = await runWarm(profile, state, root);
        const usedId = takenId(await outcome(user));
        const status = await waitForPool(state, (s) => s.ready.length === 1 && s.handedOut === 1);
        const readyId = status.ready[0]?.id as string;
        process.kill(status.pid, 'SIGKILL');
        await eventually(() => daemonPids(state).length === 0, 'the daemon died');
        // A warden of another state dir and no --warm: its launch runs the reaper.
        const other = await startWarden({
          profile: profile as 'docker',
          roots: [root],
          command: [process.execPath, FS_SERVER, root],
        });
        await eventually(async () => !(await containerExists(readyId)), `ready container ${readyId} reaped`);
        await other.close();
        // The container handed over before the daemon died still serves its warden.
        expect(await containerExists(usedId)).toBe(true);
        const read = await user.warden.client.callTool({
          name: 'read_text_file',
          arguments: { path: path.join(root, 'hello.txt') },
        });
        expect(text(read)).toBe(`hello from daemon-kill-${profile}\n`);
        await user.warden.close();
        await eventually(
          async () => !(await containerExists(usedId)),
          `container ${usedId} removed by its warden`,
        );
        // The dead daemon's socket file is still there: the next --warm warden starts a new daemon,
        // which replaces it.
        const next = await runWarm(profile, state, root);
        expect(await outcome(next)).toMatchObject({
          hit: false,
          detail: expect.stringMatching(/started one/),
        });
        await next.warden.close();
        const revived = await waitForPool(state, (s) => s.ready.length === 1);
        expect(revived.pid).not.toBe(status.pid);
      },
      TIMEOUT,
    );

    it(
      'two first runs at once end with one daemon, and the pool works',
      async () => {
        const state = newState(`race-${profile}`);
        const root = newRoot(`race-${profile}`, profile);
        const [a, b] = await Promise.all([runWarm(profile, state, root), runWarm(profile, state, root)]);
        await a?.warden.close();
        await b?.warden.close();
        const status = await waitForPool(state, (s) => s.ready.length === 1);
        await eventually(
          () => daemonPids(state).length === 1,
          `one daemon (${daemonPids(state).join(', ')})`,
        );
        expect(daemonPids(state)).toEqual([status.pid]);
      },
      TIMEOUT,
    );
  });
});

describe.runIf(DOCKER_PROFILE.enabled)(`run --warm, the pool's edges (${DOCKER_PROFILE.status})`, () => {
  it(
    'the socket is 0600 in a 0700 directory of the user; a wider directory is not used',
    async () => {
      const state = newState('modes');
      const root = newRoot('modes', 'docker');
      await primedPool('docker', state, root);
      const paths = poolPaths({ MCP_WARDEN_STATE_DIR: state });
      const dir = lstatSync(paths.dir);
      const socket = lstatSync(paths.socket);
      expect({
        dir: dir.mode & 0o777,
        socket: socket.mode & 0o777,
        socketIsSocket: socket.isSocket(),
      }).toEqual({
        dir: 0o700,
        socket: 0o600,
        socketIsSocket: true,
      });
      expect([dir.uid, socket.uid]).toEqual([process.getuid?.(), process.getuid?.()]);
      chmodSync(paths.dir, 0o755);
      try {
        const refused = await runWarm('docker', state, root);
        expect(await outcome(refused)).toMatchObject({
          hit: false,
          detail: expect.stringMatching(/mode 755, not 700/),
        });
        await refused.warden.close();
      } finally {
        chmodSync(paths.dir, 0o700);
      }
      // The ready container was not handed out through the refused directory.
      expect((await poolStatus(state))?.ready).toHaveLength(1);
    },
    TIMEOUT,
  );

  it(
    'a server that writes on stdout at start-up is never handed out',
    async () => {
      const state = newState('banner');
      const run = async (): Promise<{ hit: boolean; detail: string }> => {
        const audit = path.join(tmpRoot('warm-audit'), 'audit.jsonl');
        const warden = await startWarden({
          profile: 'docker',
          auditLog: audit,
          extraArgs: ['--warm'],
          command: [process.execPath, BANNER_SERVER],
          wardenEnv: warmEnv(state),
        });
        const echoed = await warden.client.callTool({ name: 'echo', arguments: { text: 'hi' } });
        expect(JSON.stringify(echoed)).toContain('hi');
        await warden.close();
        return outcome({ warden, audit });
      };
      expect((await run()).hit).toBe(false);
      // The daemon starts one for the plan; once its server has had time to print the banner, the
      // next run misses, saying why, and the daemon holds no container of it.
      const { pid } = await waitForPool(state, (s) => s.unpoolable.length + s.ready.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const second = await run();
      expect(second).toMatchObject({
        hit: false,
        detail: expect.stringMatching(/writes on stdout before its first message/),
      });
      const status = await poolStatus(state);
      expect(status?.unpoolable[0]?.reason).toMatch(/writes on stdout before its first message/);
      expect(status?.ready).toEqual([]);
      await eventually(async () => (await containersOwnedBy(pid)).length === 0, 'no container kept');
    },
    TIMEOUT,
  );

  it(
    'a session with a network allowlist is never pooled',
    async () => {
      const state = newState('egress');
      const audit = path.join(tmpRoot('warm-audit'), 'audit.jsonl');
      const warden = await startWarden({
        profile: 'docker',
        auditLog: audit,
        extraArgs: ['--warm', '--allow-host', 'example.com'],
        command: [process.execPath, ECHO_SERVER],
        wardenEnv: warmEnv(state),
      });
      await warden.close();
      expect(await outcome({ warden, audit })).toMatchObject({
        hit: false,
        detail: expect.stringMatching(/network allowlist/),
      });
      expect(daemonPids(state)).toEqual([]);
    },
    TIMEOUT,
  );
});

describe.runIf(BWRAP_PROFILE.enabled)(`run --warm elsewhere (${BWRAP_PROFILE.status})`, () => {
  it(
    'has no effect on bwrap: a note on stderr, no daemon',
    async () => {
      const state = newState('bwrap');
      const warden = await startWarden({
        profile: 'bwrap',
        extraArgs: ['--warm'],
        command: [process.execPath, ECHO_SERVER],
        wardenEnv: warmEnv(state),
      });
      await warden.close();
      expect(warden.stderr()).toContain('--warm has no effect on the bwrap backend');
      expect(daemonPids(state)).toEqual([]);
    },
    TIMEOUT,
  );
});
