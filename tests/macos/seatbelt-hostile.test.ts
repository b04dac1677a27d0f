// The hostile fixture server under the real macOS sandbox (--profile seatbelt). Runs only on a Mac
// (`npm run test:macos`); everywhere else the suite is reported as skipped, never silently absent.
// NOT YET RUN ON A MAC by the CI that wrote it: see docs/seatbelt.md.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OutsideSecret, outsideSecret, tmpRoot } from '../helpers/tmp-root.ts';
import {
  exitWithin,
  HOSTILE_SERVER,
  initializeRaw,
  runArgs,
  spawnWardenRaw,
  type StartedWarden,
  startWarden,
} from '../helpers/warden.ts';

const ON_MAC = process.platform === 'darwin';
const mark = (): string => `mark${randomBytes(8).toString('hex')}`;
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const hostile = (root: string, log?: string): string[] => [
  process.execPath,
  HOSTILE_SERVER,
  '--root',
  root,
  ...(log ? ['--log', log] : []),
];
const resultJson = (result: unknown): Record<string, unknown> =>
  JSON.parse((result as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? 'null') as Record<
    string,
    unknown
  >;
// A Seatbelt denial surfaces as EPERM; a path the policy already hides may be ENOENT/EACCES.
const DENIED = ['EPERM', 'EACCES', 'ENOENT'];

/** Pids whose command line contains `tag` (ps, since macOS has no /proc). */
function psFind(tag: string): number[] {
  const out = execFileSync('/bin/ps', ['-axo', 'pid=,command='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(tag) && !line.includes('/bin/ps'))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((pid) => pid !== process.pid);
}

describe.runIf(ON_MAC)('hostile server under --profile seatbelt (macOS)', () => {
  let ROOT: string;
  let LOG: string;
  let secret: OutsideSecret;
  let warden: StartedWarden;
  let listener: net.Server;
  let port: number;
  let connections = 0;
  const CANARY = `canary-${mark()}`;

  beforeAll(async () => {
    ROOT = tmpRoot('seatbelt-hostile');
    LOG = path.join(ROOT, 'requests.log');
    secret = outsideSecret();
    writeFileSync(path.join(ROOT, 'inside.txt'), 'inside\n');
    listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as net.AddressInfo).port;
    warden = await startWarden({
      profile: 'seatbelt',
      roots: [ROOT],
      env: ['GIVEN_VALUE=given'],
      wardenEnv: { ...process.env, WARDEN_E2E_CANARY: CANARY },
      command: hostile(ROOT, LOG),
    });
    await warden.client.listTools();
  });

  afterAll(async () => {
    await warden?.close();
    await new Promise((resolve) => listener?.close(resolve));
  });

  it('control: the server starts, and reads and writes inside its root', async () => {
    const read = await warden.client.callTool({
      name: 'open_secret',
      arguments: { b64: b64(path.join(ROOT, 'inside.txt')) },
    });
    expect(resultJson(read)).toEqual({ ok: true, text: 'inside\n' });
    const write = await warden.client.callTool({
      name: 'write_secret',
      arguments: { b64: b64(path.join(ROOT, 'written.txt')), content: 'ok' },
    });
    expect(resultJson(write).ok).toBe(true);
    expect(readFileSync(path.join(ROOT, 'written.txt'), 'utf8')).toBe('ok');
  });

  it('the policy layer still denies an outside path before the server sees it', async () => {
    const m = mark();
    let caught: unknown;
    try {
      await warden.client.callTool({ name: 'read_file', arguments: { path: `${secret.dir}/${m}` } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(McpError);
    expect((caught as McpError).code).toBe(-32001);
    expect(existsSync(LOG) && readFileSync(LOG, 'utf8').includes(m)).toBe(false);
  });

  it('the OS layer alone: a base64-hidden outside file cannot be read', async () => {
    const result = await warden.client.callTool({
      name: 'open_secret',
      arguments: { b64: b64(secret.file) },
    });
    expect(resultJson(result).ok).toBe(false);
    expect(DENIED).toContain(resultJson(result).code);
    expect(JSON.stringify(result)).not.toContain(secret.content);
  });

  it('the OS layer alone: nothing can be written outside the root (temp dir, home)', async () => {
    for (const target of [
      path.join(secret.dir, 'planted.txt'),
      path.join(os.homedir(), `planted-${mark()}`),
    ]) {
      const result = await warden.client.callTool({
        name: 'write_secret',
        arguments: { b64: b64(target), content: 'pwned' },
      });
      expect(resultJson(result).ok).toBe(false);
      expect(existsSync(target)).toBe(false);
    }
  });

  it('~/.ssh and the login keychain stay closed', async () => {
    for (const target of [
      path.join(os.homedir(), '.ssh', 'known_hosts'),
      path.join(os.homedir(), 'Library', 'Keychains', 'login.keychain-db'),
    ]) {
      const result = await warden.client.callTool({ name: 'open_secret', arguments: { b64: b64(target) } });
      expect(resultJson(result).ok).toBe(false);
    }
  });

  it('env: only PATH, the --env variables and the private TMPDIR', async () => {
    const { env } = resultJson(await warden.client.callTool({ name: 'env', arguments: {} })) as {
      env: Record<string, string>;
    };
    expect(Object.keys(env).sort()).toEqual(['GIVEN_VALUE', 'PATH', 'TMPDIR']);
    expect(env.TMPDIR).toMatch(/\/mcp-warden-seatbelt-[0-9a-f]{16}\/tmp$/);
    expect(JSON.stringify(env)).not.toContain(CANARY);
  });

  it('network: a TCP connect to a local listener fails and the listener saw nothing', async () => {
    const result = await warden.client.callTool({ name: 'connect', arguments: { port } });
    expect(resultJson(result).ok).toBe(false);
    expect(connections).toBe(0);
  });
});

describe.runIf(ON_MAC)('seatbelt lifecycle (macOS)', () => {
  it('a server breach exits 70, and the profile directory is gone afterwards', async () => {
    const ROOT = tmpRoot('seatbelt-breach');
    const before = new Set(listWorkDirs());
    const warden = spawnWardenRaw(runArgs({ profile: 'seatbelt', roots: [ROOT], command: hostile(ROOT) }));
    await initializeRaw(warden);
    expect(listWorkDirs().filter((d) => !before.has(d))).toHaveLength(1);
    warden.send({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'misbehave', arguments: { mode: 'garbage' } },
    });
    expect(await exitWithin(warden, 10_000)).toEqual({ code: 70, signal: null });
    expect(listWorkDirs().filter((d) => !before.has(d))).toEqual([]);
  });

  it.each([false, true])('spawned children (detached: %s) die with the session', async (detached) => {
    const ROOT = tmpRoot('seatbelt-spawn');
    const tag = `leaktag-${mark()}`;
    const warden = await startWarden({ profile: 'seatbelt', roots: [ROOT], command: hostile(ROOT) });
    try {
      await warden.client.callTool({ name: 'spawn_children', arguments: { tag, count: 3, detached } });
      await expect.poll(() => psFind(tag).length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
      await warden.close();
      await expect.poll(() => psFind(tag), { timeout: 3_000 }).toEqual([]);
    } finally {
      for (const pid of psFind(tag)) process.kill(pid, 'SIGKILL');
    }
  });
});

function listWorkDirs(): string[] {
  const dir = os.tmpdir();
  mkdirSync(dir, { recursive: true });
  return execFileSync('/bin/ls', [dir], { encoding: 'utf8' })
    .split('\n')
    .filter((name) => name.startsWith('mcp-warden-seatbelt-'));
}

if (!ON_MAC) {
  // A skipped file is one line in the default reporter; say why, where everyone sees it.
  console.warn(
    `SKIPPED: macOS only: the Seatbelt containment tests need /usr/bin/sandbox-exec (this is ${process.platform}); on a Mac run: npm run test:macos`,
  );
}
describe.skipIf(ON_MAC)('seatbelt containment tests: SKIPPED: macOS only', () => {
  it.skip(`needs macOS and /usr/bin/sandbox-exec; this is ${process.platform}. On a Mac: npm run test:macos`, () => {});
});
