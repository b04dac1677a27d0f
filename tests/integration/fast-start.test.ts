// `run`'s fast start (src/cli/fast-start, docs/performance.md): a repeated start of the same
// configuration spawns its cached launch before the warden has loaded, and the session adopts it only
// when its own prepared plan is the same. Real bwrap, real servers, through the SDK client. What the
// fast start did is read from its audit event, never from timing.
import {
  appendFileSync,
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BWRAP_AVAILABLE,
  exitWithin,
  PROJECT_ROOT,
  runArgs,
  spawnWardenRaw,
  type StartedWarden,
  startWarden,
} from '../helpers/warden.ts';
import { ISOLATE_PROFILE } from '../helpers/containers.ts';
import { hostProcesses } from '../helpers/host-processes.ts';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { toolText } from '../helpers/tool-text.ts';

const FS_SERVER = path.join(
  PROJECT_ROOT,
  'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);
const MARKER_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/start-marker-server.mjs');

interface FastStartEvent {
  session: string;
  outcome: 'adopted' | 'replaced' | 'miss' | 'off';
  detail: string;
  cacheable: boolean;
}

/** One configuration's private cache, state and audit log, so tests run side by side. */
interface Place {
  cache: string;
  state: string;
  audit: string;
  env: NodeJS.ProcessEnv;
}

function place(extraEnv: NodeJS.ProcessEnv = {}): Place {
  const base = tmpRoot('fast-start');
  const cache = path.join(base, 'cache');
  const state = path.join(base, 'state');
  const env: NodeJS.ProcessEnv = { ...process.env, MCP_WARDEN_CACHE_DIR: cache, MCP_WARDEN_STATE_DIR: state };
  delete env.MCP_WARDEN_NO_FAST_START;
  return { cache, state, audit: path.join(base, 'audit.jsonl'), env: { ...env, ...extraEnv } };
}

function fastStartEvents(at: Place): FastStartEvent[] {
  if (!existsSync(at.audit)) return [];
  return readFileSync(at.audit, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"fast-start"'))
    .map((line) => JSON.parse(line) as FastStartEvent & { event: string })
    .filter((event) => event.event === 'fast-start');
}

function cacheFiles(at: Place): string[] {
  const dir = path.join(at.cache, 'fast-start');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
    .map((name) => path.join(dir, name));
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Config {
  roots: string[];
  command: string[];
  profile?: string;
  extraArgs?: string[];
}

/** Start the warden for `config` at `at`; resolves once initialize is done and its fast-start event is written. */
async function start(at: Place, config: Config): Promise<{ warden: StartedWarden; event: FastStartEvent }> {
  const before = fastStartEvents(at).length;
  const warden = await startWarden({
    // A profile file is passed like a built-in name (`--profile FILE`).
    profile: (config.profile ?? 'bwrap') as 'bwrap',
    roots: config.roots,
    command: config.command,
    auditLog: at.audit,
    wardenEnv: at.env,
    ...(config.extraArgs ? { extraArgs: config.extraArgs } : {}),
  });
  const event = await until('the fast-start audit event', () => fastStartEvents(at)[before]);
  return { warden, event };
}

/** A first start that caches its launch: resolves once the cache file is written and the warden closed. */
async function prime(at: Place, config: Config): Promise<string> {
  const { warden, event } = await start(at, config);
  expect(event.outcome).toBe('miss');
  expect(event.cacheable).toBe(true);
  const [file] = await until('the cached launch', () => {
    const files = cacheFiles(at);
    return files.length === 1 ? files : undefined;
  });
  await warden.close();
  return file as string;
}

/** A server package of its own (so nothing else in the tree changes under it), with the marker server. */
function markerPackage(): { dir: string; server: string; lib: string } {
  const dir = tmpRoot('pkg');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'marker-pkg', type: 'module' }));
  const server = path.join(dir, 'server.mjs');
  copyFileSync(MARKER_SERVER, server);
  const lib = path.join(dir, 'lib');
  mkdirSync(lib);
  writeFileSync(path.join(lib, 'util.mjs'), 'export const util = 1;\n');
  return { dir, server, lib };
}

interface Start {
  token: string;
  listing: string;
}

/** The marker server's log: every start (token, listing) and the tokens that received messages. */
function markers(markDir: string): { starts: Start[]; received: Set<string> } {
  const file = path.join(markDir, 'starts.log');
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  const starts: Start[] = [];
  const received = new Set<string>();
  for (const line of lines) {
    const [kind, token = '', rest = ''] = line.split(' ');
    if (kind === 'start') starts.push({ token, listing: rest });
    if (kind === 'got') received.add(token);
  }
  return { starts, received };
}

async function whoAnswers(warden: StartedWarden): Promise<string> {
  return toolText(await warden.client.callTool({ name: 'who', arguments: {} }));
}

describe.runIf(BWRAP_AVAILABLE)('run fast start (bwrap)', () => {
  it('caches a plain start, and the next start of the same configuration adopts the cached launch', async () => {
    const at = place();
    const root = tmpRoot('fs');
    writeFileSync(path.join(root, 'hello.txt'), 'hello from the root\n');
    const config = { roots: [root], command: ['node', FS_SERVER, root] };
    const file = await prime(at, config);
    const { warden, event } = await start(at, config);
    expect(event).toMatchObject({ outcome: 'adopted', detail: file, cacheable: true });
    const read = await warden.client.callTool({
      name: 'read_text_file',
      arguments: { path: `${root}/hello.txt` },
    });
    expect(toolText(read)).toContain('hello from the root');
    // The cache holds --env values (bwrap's --setenv pairs): private to the user.
    expect(readdirSync(at.cache).includes('fast-start')).toBe(true);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await warden.close();
  });

  it(
    'a cached launch whose server package changed is killed unseen and the new plan launched',
    { timeout: 60_000 },
    async () => {
      const at = place();
      const marks = tmpRoot('marks');
      const pkg = markerPackage();
      const config = { roots: [marks], command: ['node', pkg.server, marks, pkg.lib] };
      await prime(at, config);
      // A dotfile deep in the package: its top directory looks the same (no cheap check sees it), but
      // the package is no longer mounted whole, so the prepared plan differs from the cached one.
      writeFileSync(path.join(pkg.lib, '.env'), 'API_KEY=not-for-the-server\n');
      const before = markers(marks).starts.length;
      const { warden, event } = await start(at, config);
      expect(event.outcome).toBe('replaced');
      expect(event.detail).toContain('argv');
      const token = await whoAnswers(warden);
      const { starts, received } = markers(marks);
      const ours = starts.slice(before);
      // The client's server is the one launched from the new plan: it cannot see the dotfile.
      expect(ours.find((s) => s.token === token)?.listing).toBe('util.mjs');
      // The early server (if it got as far as starting) saw the old plan, and never a client message.
      for (const early of ours.filter((s) => s.token !== token)) {
        expect(early.listing).toBe('.env,util.mjs');
        expect(received.has(early.token)).toBe(false);
      }
      await warden.close();
      // The cache now holds the new plan: the next start adopts it.
      const again = await start(at, config);
      expect(again.event.outcome).toBe('adopted');
      await again.warden.close();
    },
  );

  it('a root replaced by a symlink is not started early', async () => {
    const at = place();
    const marks = tmpRoot('marks');
    const root = tmpRoot('swapped');
    writeFileSync(path.join(root, 'mine.txt'), 'x');
    const pkg = markerPackage();
    const config = { roots: [root, marks], command: ['node', pkg.server, marks, root] };
    await prime(at, config);
    const elsewhere = tmpRoot('elsewhere');
    writeFileSync(path.join(elsewhere, 'secret.txt'), 'not for an early server');
    rmSync(root, { recursive: true });
    symlinkSync(elsewhere, root);
    const before = markers(marks).starts.length;
    const { warden, event } = await start(at, config);
    expect(event.outcome).toBe('miss');
    expect(event.detail).toContain(root);
    // Exactly one server started for this session: the one the full prepare planned.
    const token = await whoAnswers(warden);
    expect(
      markers(marks)
        .starts.slice(before)
        .map((s) => s.token),
    ).toEqual([token]);
    await warden.close();
  });

  it('a changed profile file is not started early, even when the plan would be the same', async () => {
    const at = place();
    const marks = tmpRoot('marks');
    const pkg = markerPackage();
    const profile = path.join(tmpRoot('profile'), 'custom.json');
    copyFileSync(path.join(PROJECT_ROOT, 'profiles/bwrap.json'), profile);
    const config = { profile, roots: [marks], command: ['node', pkg.server, marks] };
    await prime(at, config);
    appendFileSync(profile, '\n');
    const { warden, event } = await start(at, config);
    expect(event.outcome).toBe('miss');
    expect(event.detail).toBe(`${profile} changed`);
    await warden.close();
  });

  it('other arguments or another environment find no cached launch', { timeout: 60_000 }, async () => {
    const at = place();
    const marks = tmpRoot('marks');
    const pkg = markerPackage();
    const config = { roots: [marks], command: ['node', pkg.server, marks] };
    await prime(at, config);
    const otherArgs = await start(at, { ...config, extraArgs: ['--timeout', '60000'] });
    expect(otherArgs.event).toMatchObject({ outcome: 'miss', detail: 'no cached launch' });
    await otherArgs.warden.close();
    const otherEnv = await start({ ...at, env: { ...at.env, LANG: 'C.UTF-8-changed' } }, config);
    expect(otherEnv.event).toMatchObject({ outcome: 'miss', detail: 'no cached launch' });
    await otherEnv.warden.close();
  });

  it('a client’s per-session variables do not stop the fast start; a variable the profile passes does', async () => {
    const at = place({ PASSED_TO_SERVER: 'one' });
    const marks = tmpRoot('marks');
    const pkg = markerPackage();
    const profile = path.join(tmpRoot('profile'), 'passes.json');
    const base = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'profiles/bwrap.json'), 'utf8')) as object;
    writeFileSync(profile, JSON.stringify({ ...base, env: ['PASSED_TO_SERVER'] }));
    const config = { profile, roots: [marks], command: ['node', pkg.server, marks] };
    await prime(at, config);
    // What Claude Code sets for every server it starts, new at every start.
    const session = (id: string): Place => ({
      ...at,
      env: { ...at.env, CLAUDE_CODE_SESSION_ID: id, CLAUDE_CODE_LAUNCHED_BY_SESSION_IDS: id },
    });
    const first = await start(session('9c01b6f2'), config);
    expect(first.event).toMatchObject({ outcome: 'adopted' });
    await first.warden.close();
    const second = await start(session('9e05e3ea'), config);
    expect(second.event).toMatchObject({ outcome: 'adopted' });
    await second.warden.close();
    const before = markers(marks).starts.length;
    const changed = await start({ ...at, env: { ...at.env, PASSED_TO_SERVER: 'two' } }, config);
    expect(changed.event).toMatchObject({
      outcome: 'miss',
      detail: 'a variable the profile passes to the server (PASSED_TO_SERVER) changed',
    });
    // Not started early: the one server of this start is the one that answers.
    expect(markers(marks).starts.length).toBe(before + 1);
    await changed.warden.close();
  });

  it('a corrupt or edited cache file is ignored, and rewritten', { timeout: 90_000 }, async () => {
    const at = place();
    const marks = tmpRoot('marks');
    const pkg = markerPackage();
    const config = { roots: [marks], command: ['node', pkg.server, marks] };
    const file = await prime(at, config);
    const intact = readFileSync(file, 'utf8');
    // Edited by hand: the plan (stored after the key) now runs something else, the JSON still valid.
    const where = intact.lastIndexOf(`"${pkg.server}"`);
    const editedText = `${intact.slice(0, where)}"/bin/true"${intact.slice(where + pkg.server.length + 2)}`;
    expect(editedText).not.toBe(intact);
    writeFileSync(file, editedText);
    const edited = await start(at, config);
    expect(edited.event.outcome).toBe('miss');
    expect(edited.event.detail).toContain('not an intact cached launch');
    await edited.warden.close();
    await until('the rewritten entry', () => (readFileSync(file, 'utf8') !== editedText ? true : undefined));
    const tornText = '{"version":1,';
    writeFileSync(file, tornText);
    const torn = await start(at, config);
    expect(torn.event.detail).toContain('not an intact cached launch');
    await torn.warden.close();
    await until('the rewritten entry', () => (readFileSync(file, 'utf8') !== tornText ? true : undefined));
    const next = await start(at, config);
    expect(next.event.outcome).toBe('adopted');
    await next.warden.close();
  });

  it(
    'a cache file open to group or others, or a cache directory that is, is ignored',
    { timeout: 60_000 },
    async () => {
      const at = place();
      const marks = tmpRoot('marks');
      const pkg = markerPackage();
      const config = { roots: [marks], command: ['node', pkg.server, marks] };
      const file = await prime(at, config);
      chmodSync(file, 0o640);
      const wideFile = await start(at, config);
      expect(wideFile.event).toMatchObject({ outcome: 'miss', detail: `${file} has mode 640, not 600` });
      await wideFile.warden.close();
      await until('the rewritten entry', () => ((statSync(file).mode & 0o777) === 0o600 ? true : undefined));
      chmodSync(path.dirname(file), 0o755);
      const wideDir = await start(at, config);
      expect(wideDir.event).toMatchObject({
        outcome: 'miss',
        detail: `${path.dirname(file)} has mode 755, not 700`,
      });
      await wideDir.warden.close();
    },
  );

  it(
    'a cache directory a session mounted read-write is never used: a server could have written it',
    { timeout: 60_000 },
    async () => {
      const at = place();
      const marks = tmpRoot('marks');
      const pkg = markerPackage();
      const config = { roots: [marks], command: ['node', pkg.server, marks] };
      await prime(at, config);
      // Another server, given the directory holding the cache as a read-write root.
      const base = path.dirname(at.cache);
      const exposing = await start(at, { roots: [base], command: ['node', pkg.server, base] });
      await exposing.warden.close();
      const { warden, event } = await start(at, config);
      expect(event.outcome).toBe('miss');
      expect(event.detail).toContain(
        `lies in ${path.dirname(at.cache)}, a read-write root of an earlier session`,
      );
      await warden.close();
    },
  );

  it.runIf(process.getuid?.() === 0)('a cache file owned by another user is ignored', async () => {
    const at = place();
    const marks = tmpRoot('marks');
    const pkg = markerPackage();
    const config = { roots: [marks], command: ['node', pkg.server, marks] };
    const file = await prime(at, config);
    chownSync(file, 65534, 65534);
    const { warden, event } = await start(at, config);
    expect(event).toMatchObject({
      outcome: 'miss',
      detail: `${file} belongs to uid 65534, not to this user`,
    });
    await warden.close();
  });

  it('MCP_WARDEN_NO_FAST_START turns it off: nothing is read or written', async () => {
    const at = place({ MCP_WARDEN_NO_FAST_START: '1' });
    const marks = tmpRoot('marks');
    const pkg = markerPackage();
    const config = { roots: [marks], command: ['node', pkg.server, marks] };
    const { warden, event } = await start(at, config);
    expect(event).toMatchObject({ outcome: 'off', cacheable: false });
    await warden.close();
    expect(cacheFiles(at)).toEqual([]);
  });
});

describe('run fast start (none)', () => {
  it('adopts the cached launch of a none session, which gets its own leftover marker', async () => {
    const at = place();
    const marks = tmpRoot('marks');
    const pkg = markerPackage();
    const config = { profile: 'none', roots: [marks], command: ['node', pkg.server, marks] };
    const file = await prime(at, config);
    expect(readFileSync(file, 'utf8')).not.toContain('MCP_WARDEN_SANDBOX');
    const { warden, event } = await start(at, config);
    expect(event).toMatchObject({ outcome: 'adopted', cacheable: true });
    const token = await whoAnswers(warden);
    expect(markers(marks).starts.at(-1)?.token).toBe(token);
    await warden.close();
  });
});

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};

/** The warden's children that are isolate hosts (host-main), by /proc. */
function isolateHosts(wardenPid: number): number[] {
  return hostProcesses((proc) => proc.ppid === wardenPid && proc.cmdline.includes('host-main')).map(
    (proc) => proc.pid,
  );
}

describe.runIf(ISOLATE_PROFILE.enabled)(`run fast start (isolate) (${ISOLATE_PROFILE.status})`, () => {
  it('adopts the cached launch of an isolate session: one host, and its server is the one that answers', async () => {
    const at = place();
    const marks = tmpRoot('marks');
    const pkg = markerPackage();
    const config = { profile: 'isolate', roots: [marks], command: ['node', pkg.server, marks] };
    await prime(at, config);
    const before = markers(marks).starts.length;
    const { warden, event } = await start(at, config);
    expect(event).toMatchObject({ outcome: 'adopted', cacheable: true });
    const token = await whoAnswers(warden);
    const { starts, received } = markers(marks);
    // The server ran once for this session, in the host the fast start spawned.
    expect(starts.length).toBe(before + 1);
    expect(starts.at(-1)?.token).toBe(token);
    expect(received.has(token)).toBe(true);
    // No standby host beside it: with a launch spawned early, the backend starts nothing ahead.
    expect(isolateHosts(warden.pid)).toHaveLength(1);
    await warden.close();
  });

  it('an adopted host still reports its start: a bundle refused since the cache was written fails the launch', async () => {
    const at = place();
    const marks = tmpRoot('marks');
    const pkg = markerPackage();
    const config = { profile: 'isolate', roots: [marks], command: ['node', pkg.server, marks] };
    await prime(at, config);
    // Same size and times as before (the cheap checks pass, the cached plan is spawned), but the code
    // now imports a file outside the server's code paths, which the host's bundler refuses.
    const outside = path.join(tmpRoot('outside'), 'x.mjs');
    writeFileSync(outside, 'export const x = 1;\n');
    const { atime, mtime } = statSync(pkg.server);
    const original = readFileSync(pkg.server, 'utf8');
    const replaced = original.replace(/^\/\/[^\n]*/m, (comment: string) =>
      `import '${outside}'; //`.padEnd(comment.length, ' '),
    );
    expect(replaced.length).toBe(original.length);
    writeFileSync(pkg.server, replaced);
    utimesSync(pkg.server, atime, mtime);
    const warden = spawnWardenRaw(runArgs({ ...config, profile: 'isolate', auditLog: at.audit }), {
      env: at.env,
    });
    warden.send(INITIALIZE);
    // The backend's verdict on a refused bundle (exit 69, its message and fix), not a server that died
    // during start-up (71), which is what an adopted host whose start status nobody read turns into.
    expect(await exitWithin(warden, 30_000)).toEqual({ code: 69, signal: null });
    expect(warden.stderr()).toContain('refused to bundle');
    expect(warden.stderr()).toContain(outside);
    expect(fastStartEvents(at).at(-1)).toMatchObject({ outcome: 'adopted' });
    expect(markers(marks).starts).toHaveLength(1);
  });
});
