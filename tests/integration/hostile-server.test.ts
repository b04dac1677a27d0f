// The hostile fixture server behind the warden. Three things are proven here:
// 1. the POLICY stops every path/size attack before the server sees it (under `none` and `bwrap`);
// 2. every server breach fails the in-flight requests with -32002 and ends the warden with status 70;
// 3. under bwrap, the OS layer alone stops what the policy cannot see (base64-hidden paths, env,
//    network, capabilities), and no spawned process outlives the session.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BWRAP_PROFILE,
  DOCKER_PROFILE,
  GVISOR_PROFILE,
  isContainer,
  ISOLATE_PROFILE,
  NONE_PROFILE,
  ourContainers,
  SANDBOX_PROFILES,
  shareWithSandbox,
} from '../helpers/containers.ts';
import { stateHomeName, stateHomePath } from '../../src/sandboxes/launch-spec/state-home.ts';
import { stateDir } from '../../src/util/state-dir.ts';
import { expectNoProcesses, findProcesses, killProcesses } from '../helpers/processes.ts';
import { type OutsideSecret, outsideSecret, tmpRoot, trackForCleanup } from '../helpers/tmp-root.ts';
import {
  exitWithin,
  HOSTILE_SERVER,
  initializeRaw,
  type RawMessage,
  runArgs,
  spawnWardenRaw,
  type StartedWarden,
  startWarden,
} from '../helpers/warden.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

// The policy and server-breach cases do not depend on the backend, so isolate runs them too; its own
// OS-layer cases (and spawn_children's "not available" error) are in isolate/hostile.test.ts.
const PROFILES = [NONE_PROFILE, BWRAP_PROFILE, DOCKER_PROFILE, GVISOR_PROFILE, ISOLATE_PROFILE];

const mark = (): string => `mark${randomBytes(8).toString('hex')}`;
const b64 = (text: string): string => Buffer.from(text).toString('base64');

function hostileCommand(root: string, log?: string): string[] {
  return [process.execPath, HOSTILE_SERVER, '--root', root, ...(log ? ['--log', log] : [])];
}

/** Parse the JSON text of a tool result's first content block. */
function resultJson(result: unknown): Record<string, unknown> {
  const content = (result as { content?: Array<{ text?: string }> }).content;
  return JSON.parse(content?.[0]?.text ?? 'null') as Record<string, unknown>;
}

async function expectPolicyError(
  promise: Promise<unknown>,
): Promise<{ code: number; rule: string | undefined }> {
  let caught: unknown;
  try {
    const value = await promise;
    caught = new Error(`expected a -32001 denial, got a result: ${JSON.stringify(value).slice(0, 400)}`);
  } catch (error) {
    caught = error;
  }
  expect(caught, String(caught)).toBeInstanceOf(McpError);
  const error = caught as McpError;
  return { code: error.code, rule: (error.data as { rule?: string } | undefined)?.rule };
}

describe.each(PROFILES)('hostile server, profile $profile', ({ profile, enabled, status }) => {
  describe.runIf(enabled)(`(${status})`, () => {
    if (isContainer(profile)) {
      // `docker ps -a` shows no container of ours once the sessions are over (tests with a session of
      // their own check right after it ends).
      afterAll(async () => {
        expect(await ourContainers()).toEqual([]);
      });
    }

    describe('the policy stops client-side attacks before the server sees them', () => {
      let ROOT: string;
      let LOG: string;
      let secret: OutsideSecret;
      let warden: StartedWarden;

      const serverSaw = (marker: string): boolean =>
        existsSync(LOG) && readFileSync(LOG, 'utf8').includes(marker);

      beforeAll(async () => {
        ROOT = tmpRoot(`hostile-policy-${profile}`);
        LOG = path.join(ROOT, 'requests.log');
        secret = outsideSecret();
        writeFileSync(path.join(ROOT, 'ok.txt'), 'fine\n');
        mkdirSync(trackForCleanup(`${ROOT}-evil`));
        shareWithSandbox(ROOT, profile);
        warden = await startWarden({ profile, roots: [ROOT], command: hostileCommand(ROOT, LOG) });
        await warden.client.listTools(); // lets the policy learn the input schemas
      });

      afterAll(async () => {
        await warden?.close();
        if (ROOT) await expectNoProcesses(ROOT);
      });

      const deniedRead = async (
        pathValue: string,
        marker: string,
      ): Promise<{ code: number; rule?: string }> => {
        const outcome = await expectPolicyError(
          warden.client.callTool({ name: 'read_file', arguments: { path: pathValue } }),
        );
        expect(serverSaw(marker), `the server received the request carrying ${marker}`).toBe(false);
        return outcome;
      };

      it('control: an inside read reaches the server and is logged', async () => {
        const m = mark();
        const result = await warden.client.callTool({ name: 'echo', arguments: { text: m } });
        expect(resultText(result)).toBe(m);
        const read = await warden.client.callTool({
          name: 'read_file',
          arguments: { path: path.join(ROOT, 'ok.txt') },
        });
        expect(resultText(read)).toBe('fine\n');
        expect(serverSaw(m)).toBe(true);
      });

      it('an absolute path outside the roots', async () => {
        const outcome = await deniedRead(secret.file, path.basename(secret.dir));
        expect(outcome).toEqual({ code: -32001, rule: 'path.outside-root' });
      });

      it('a ".." traversal out of the root', async () => {
        const m = mark();
        expect(await deniedRead(`${ROOT}/../${m}/id_rsa`, m)).toEqual({
          code: -32001,
          rule: 'path.outside-root',
        });
        const m2 = mark();
        expect(await deniedRead(`${ROOT}/sub/../../${m2}`, m2)).toEqual({
          code: -32001,
          rule: 'path.outside-root',
        });
      });

      it('a relative ".." path (resolved against the first root)', async () => {
        const m = mark();
        expect(await deniedRead(`../${m}/id_rsa`, m)).toEqual({ code: -32001, rule: 'path.outside-root' });
      });

      it('a sibling directory that shares the root as a string prefix', async () => {
        const m = mark();
        expect(await deniedRead(`${ROOT}-evil/${m}`, m)).toEqual({
          code: -32001,
          rule: 'path.outside-root',
        });
      });

      it('a symlink inside the root pointing outside', async () => {
        const m = mark();
        symlinkSync(secret.file, path.join(ROOT, `link-${m}`));
        expect(await deniedRead(path.join(ROOT, `link-${m}`), m)).toEqual({
          code: -32001,
          rule: 'path.outside-root',
        });
        const d = mark();
        symlinkSync(secret.dir, path.join(ROOT, `dirlink-${d}`));
        expect(await deniedRead(path.join(ROOT, `dirlink-${d}`, 'id_rsa'), d)).toEqual({
          code: -32001,
          rule: 'path.outside-root',
        });
      });

      it('a file: URI outside the roots (tool argument and resources/read)', async () => {
        const m = mark();
        expect(await deniedRead(`file://${secret.dir}/${m}`, m)).toEqual({
          code: -32001,
          rule: 'path.outside-root',
        });
        const m2 = mark();
        const outcome = await expectPolicyError(warden.client.readResource({ uri: `file:///etc/${m2}` }));
        expect(outcome).toEqual({ code: -32001, rule: 'path.outside-root' });
        expect(serverSaw(m2)).toBe(false);
      });

      it('a percent-encoded ".." in a file: URI under the root (single and double encoded)', async () => {
        const m = mark();
        const single = await expectPolicyError(
          warden.client.readResource({ uri: `file://${ROOT}/%2e%2e/${m}/id_rsa` }),
        );
        expect(single).toEqual({ code: -32001, rule: 'path.outside-root' });
        expect(serverSaw(m)).toBe(false);
        const m2 = mark();
        const double = await expectPolicyError(
          warden.client.readResource({ uri: `file://${ROOT}/%252e%252e/${m2}/id_rsa` }),
        );
        expect(double.code).toBe(-32001);
        expect(double.rule).toBe('path.outside-root');
        expect(serverSaw(m2)).toBe(false);
      });

      it('a path with a NUL byte', async () => {
        const m = mark();
        const outcome = await deniedRead(`${ROOT}/ok.txt\u0000${m}`, m);
        expect(outcome.code).toBe(-32001);
        // DESIGN.md names no separate rule for NUL; any path.* rule satisfies the contract.
        expect(outcome.rule).toMatch(/^path\./);
      });

      it('a "~/" path (home is not a root)', async () => {
        const m = mark();
        expect(await deniedRead(`~/${m}/.ssh/id_rsa`, m)).toEqual({
          code: -32001,
          rule: 'path.outside-root',
        });
      });

      it('a path-like string nested deep in params under a non-path key', async () => {
        const m = mark();
        const outcome = await expectPolicyError(
          warden.client.callTool({
            name: 'write_file',
            arguments: {
              path: path.join(ROOT, 'ok2.txt'),
              content: 'x',
              extra: { deep: [{ v: `/etc/${m}` }] },
            },
          }),
        );
        expect(outcome).toEqual({ code: -32001, rule: 'path.outside-root' });
        expect(serverSaw(m)).toBe(false);
        expect(existsSync(path.join(ROOT, 'ok2.txt'))).toBe(false);
      });

      it('a request over the 4 MiB client message cap → size.message', async () => {
        const m = mark();
        // Nine 500 KiB strings: every argument is under the 1 MiB argument cap, the message is not.
        const pad = Array.from({ length: 9 }, () => 'p'.repeat(500 * KiB));
        const outcome = await expectPolicyError(
          warden.client.callTool({ name: 'echo', arguments: { text: m, pad } }),
        );
        expect(outcome).toEqual({ code: -32001, rule: 'size.message' });
        expect(serverSaw(m)).toBe(false);
      });

      it('a single argument over the 1 MiB cap → size.argument', async () => {
        const m = mark();
        const outcome = await expectPolicyError(
          warden.client.callTool({ name: 'echo', arguments: { text: `${m}${'a'.repeat(MiB + 10)}` } }),
        );
        expect(outcome).toEqual({ code: -32001, rule: 'size.argument' });
        expect(serverSaw(m)).toBe(false);
      });

      it('the session is still usable after every denial', async () => {
        const m = mark();
        const result = await warden.client.callTool({ name: 'echo', arguments: { text: m } });
        expect(resultText(result)).toBe(m);
        expect(serverSaw(m)).toBe(true);
      });
    });

    describe('server breaches: in-flight requests get -32002 and the warden exits 70', () => {
      let ROOT: string;
      beforeAll(() => {
        ROOT = shareWithSandbox(tmpRoot(`hostile-breach-${profile}`), profile);
      });

      const BREACHES: Array<{ mode: string; rule: string }> = [
        { mode: 'huge-response', rule: 'size.message' },
        { mode: 'endless-line', rule: 'size.message' },
        // 'garbage' (one non-JSON line) is no longer a breach (issue 15 item 7): it is dropped; see
        // tests/attacks/cases/framing.ts (server-garbage, server-stray-flood, server-garbage-strict).
        { mode: 'sampling', rule: 'server.request-not-allowed' },
        { mode: 'elicitation', rule: 'server.request-not-allowed' },
        { mode: 'roots-list', rule: 'server.request-not-allowed' },
        { mode: 'unknown-id', rule: 'protocol.unknown-id' },
        { mode: 'crash', rule: 'sandbox.exited' },
        { mode: 'outside-link', rule: 'path.outside-root' },
        { mode: 'notification-unknown', rule: 'method.not-allowed' },
      ];

      const misbehave = (id: number, mode: string): object => ({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'misbehave', arguments: { mode } },
      });

      const isReply = (id: number) => (m: RawMessage) => m.id === id && ('result' in m || 'error' in m);

      it.each(BREACHES)('$mode → -32002 $rule, exit 70', async ({ mode, rule }) => {
        const warden = spawnWardenRaw(runArgs({ profile, roots: [ROOT], command: hostileCommand(ROOT) }));
        await initializeRaw(warden);
        warden.send(misbehave(100, 'hang')); // a bystander request, in flight during the breach
        warden.send(misbehave(101, mode));
        const breaching = await warden.waitFor(isReply(101), 20_000);
        const bystander = await warden.waitFor(isReply(100), 20_000);
        expect(breaching.error, JSON.stringify(breaching).slice(0, 300)).toMatchObject({
          code: -32002,
          data: { rule },
        });
        expect(breaching.error?.message).toMatch(/^mcp-warden: sandbox terminated: /);
        expect(bystander.error).toMatchObject({ code: -32002, data: { rule } });
        const status = await exitWithin(warden, 10_000);
        expect(status).toEqual({ code: 70, signal: null });
        // Nothing of the breach reached the client.
        expect(warden.nonJsonLines()).toEqual([]);
        expect(warden.stdoutBytes()).toBeLessThan(64 * KiB);
        const leaked = warden
          .allMessages()
          .filter((m) => typeof m.method === 'string' || m.id === 'nobody-asked-for-this');
        expect(leaked).toEqual([]);
        expect(JSON.stringify(warden.allMessages())).not.toContain('/etc/passwd');
      });

      it('duplicate-response: the first answer passes, the second kills the sandbox (protocol.unknown-id)', async () => {
        const warden = spawnWardenRaw(runArgs({ profile, roots: [ROOT], command: hostileCommand(ROOT) }));
        await initializeRaw(warden);
        warden.send(misbehave(100, 'hang'));
        warden.send(misbehave(101, 'duplicate-response'));
        const first = await warden.waitFor(isReply(101), 20_000);
        expect(first.result).toEqual({ content: [{ type: 'text', text: 'first' }] });
        const bystander = await warden.waitFor(isReply(100), 20_000);
        expect(bystander.error).toMatchObject({ code: -32002, data: { rule: 'protocol.unknown-id' } });
        expect(await exitWithin(warden, 10_000)).toEqual({ code: 70, signal: null });
        expect(warden.allMessages().filter((m) => m.id === 101)).toHaveLength(1);
      });

      it('stderr-noise is not a breach: the answer arrives and the session goes on', async () => {
        const warden = spawnWardenRaw(runArgs({ profile, roots: [ROOT], command: hostileCommand(ROOT) }));
        await initializeRaw(warden);
        const noisy = await warden.request(
          101,
          'tools/call',
          { name: 'misbehave', arguments: { mode: 'stderr-noise' } },
          20_000,
        );
        expect(noisy.result).toEqual({ content: [{ type: 'text', text: 'quiet now' }] });
        const ping = await warden.request(102, 'ping', {});
        expect(ping.result).toEqual({});
        expect(warden.nonJsonLines()).toEqual([]);
        warden.endInput();
        expect(await exitWithin(warden, 5_000)).toEqual({ code: 0, signal: null });
      });
    });

    // A V8 isolate has no processes: spawn_children fails with a clear error there (isolate/hostile.test.ts).
    if (profile !== 'isolate')
      describe('process lifetime: spawned children die with the session', () => {
        it.each([false, true])(
          'spawn_children (detached: %s) then close → no child survives',
          async (detached) => {
            const ROOT = shareWithSandbox(tmpRoot(`hostile-spawn-${profile}`), profile);
            const tag = `leaktag-${mark()}`;
            const warden = await startWarden({ profile, roots: [ROOT], command: hostileCommand(ROOT) });
            try {
              const result = await warden.client.callTool({
                name: 'spawn_children',
                arguments: { tag, count: 3, detached },
              });
              expect((resultJson(result).pids as number[]).length).toBe(3);
              // The children exist on the host before the session ends (proves the test can see them).
              // Under gVisor the server's processes live in its user-space kernel, never on the host;
              // there the proof is that the container, and with it the whole sandbox, is gone.
              if (profile !== 'gvisor') {
                await expect
                  .poll(() => findProcesses(tag).length, { timeout: 5_000 })
                  .toBeGreaterThanOrEqual(3);
              }
              await warden.close();
              await expectNoProcesses(tag);
              if (isContainer(profile)) expect(await ourContainers()).toEqual([]);
            } finally {
              killProcesses(tag); // never leak into the rest of the suite, even when the assertion failed
            }
          },
        );
      });
  });
});

/** HOME: the server's private state home (docs/design.md), named after this project's package and the script. */
const STATE_HOME = stateHomePath(
  stateDir(),
  stateHomeName({ kind: 'script', script: realpathSync(HOSTILE_SERVER), packageName: 'mcp-warden' }).name,
);

/** The exact environment each sandbox shows the server besides PATH and the --env variables. */
const EXTRA_ENV: Record<string, (root: string) => Record<string, string>> = {
  // bwrap 0.8 sets PWD after --chdir and cannot be told not to; its value is the sandbox's own
  // working directory (docs/design.md), never a host value.
  bwrap: (root) => ({ PWD: root, HOME: STATE_HOME }),
  // The engine always sets HOSTNAME; the warden pins it (docs/design.md).
  docker: () => ({ HOME: STATE_HOME, HOSTNAME: 'mcp-warden' }),
  gvisor: () => ({ HOME: STATE_HOME, HOSTNAME: 'mcp-warden' }),
};

describe.each(SANDBOX_PROFILES)(
  'hostile server, OS layer alone ($profile): what the policy cannot see',
  ({ profile, enabled, status }) => {
    describe.runIf(enabled)(`(${status})`, () => {
      let ROOT: string;
      let secret: OutsideSecret;
      let warden: StartedWarden;
      let listener: net.Server;
      let port: number;
      let connections = 0;
      const CANARY = `canary-${mark()}`;

      beforeAll(async () => {
        ROOT = shareWithSandbox(tmpRoot(`hostile-os-${profile}`), profile);
        secret = outsideSecret();
        listener = net.createServer((socket) => {
          connections++;
          socket.destroy();
        });
        await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
        port = (listener.address() as net.AddressInfo).port;
        warden = await startWarden({
          profile,
          roots: [ROOT],
          env: ['GIVEN_VALUE=given', 'GIVEN_FROM_HOST'],
          wardenEnv: { ...process.env, WARDEN_E2E_CANARY: CANARY, GIVEN_FROM_HOST: 'from-host' },
          command: hostileCommand(ROOT),
        });
      });

      afterAll(async () => {
        await warden?.close();
        await new Promise((resolve) => listener?.close(resolve));
      });

      it('open_secret (a base64-hidden outside path) reads nothing', async () => {
        const result = await warden.client.callTool({
          name: 'open_secret',
          arguments: { b64: b64(secret.file) },
        });
        const outcome = resultJson(result);
        expect(outcome.ok).toBe(false);
        expect(['ENOENT', 'EACCES']).toContain(outcome.code);
        expect(JSON.stringify(result)).not.toContain(secret.content);
      });

      it('write_secret outside fails and nothing appears on the host', async () => {
        const target = path.join(secret.dir, 'planted.txt');
        const result = await warden.client.callTool({
          name: 'write_secret',
          arguments: { b64: b64(target), content: 'pwned' },
        });
        expect(resultJson(result).ok).toBe(false);
        expect(existsSync(target)).toBe(false);
        const home = path.join(process.env.HOME ?? '/root', `planted-${mark()}`);
        const homeResult = await warden.client.callTool({
          name: 'write_secret',
          arguments: { b64: b64(home), content: 'pwned' },
        });
        expect(resultJson(homeResult).ok).toBe(false);
        expect(existsSync(home)).toBe(false);
      });

      it('open_secret of a file inside the root works (control)', async () => {
        writeFileSync(path.join(ROOT, 'inside.txt'), 'inside\n');
        const result = await warden.client.callTool({
          name: 'open_secret',
          arguments: { b64: b64(path.join(ROOT, 'inside.txt')) },
        });
        expect(resultJson(result)).toEqual({ ok: true, text: 'inside\n' });
      });

      it('env: no host variable leaks; the --env variables arrive', async () => {
        const result = await warden.client.callTool({ name: 'env', arguments: {} });
        const { keys, env } = resultJson(result) as { keys: string[]; env: Record<string, string> };
        const extra = EXTRA_ENV[profile]?.(ROOT) ?? {};
        const unexpected = keys.filter(
          (k) => !['PATH', 'GIVEN_VALUE', 'GIVEN_FROM_HOST'].includes(k) && env[k] !== extra[k],
        );
        expect(unexpected).toEqual([]);
        expect(env.GIVEN_VALUE).toBe('given');
        expect(env.GIVEN_FROM_HOST).toBe('from-host');
        expect(env.PATH).toBeDefined();
        expect(JSON.stringify(result)).not.toContain(CANARY);
      });

      it('env is exactly PATH, the --env variables and the sandbox’s own pinned extras', async () => {
        const result = await warden.client.callTool({ name: 'env', arguments: {} });
        const { env } = resultJson(result) as { env: Record<string, string> };
        expect(env).toEqual({
          GIVEN_FROM_HOST: 'from-host',
          GIVEN_VALUE: 'given',
          PATH: '/usr/local/bin:/usr/bin:/bin',
          ...EXTRA_ENV[profile]?.(ROOT),
        });
      });

      it('a TCP connect to a port the test listens on fails, and the listener saw nothing', async () => {
        const result = await warden.client.callTool({ name: 'connect', arguments: { port } });
        expect(resultJson(result).ok).toBe(false);
        expect(connections).toBe(0);
      });

      it('the server runs with no effective capabilities', async () => {
        const result = await warden.client.callTool({ name: 'caps', arguments: {} });
        const caps = resultJson(result);
        expect(caps.CapEff).toBe('0000000000000000');
        expect(caps.CapPrm).toBe('0000000000000000');
      });
    });
  },
);

describe('hostile server, profile none: the OS layer is absent (controls for the bwrap tests)', () => {
  it('the canary env var is still not passed (cleared environment), but the network is reachable', async () => {
    const ROOT = tmpRoot('hostile-none-controls');
    const CANARY = `canary-${mark()}`;
    let connections = 0;
    const listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const warden = await startWarden({
        profile: 'none',
        roots: [ROOT],
        wardenEnv: { ...process.env, WARDEN_E2E_CANARY: CANARY },
        command: hostileCommand(ROOT),
      });
      const env = await warden.client.callTool({ name: 'env', arguments: {} });
      expect(JSON.stringify(env)).not.toContain(CANARY);
      const port = (listener.address() as net.AddressInfo).port;
      const result = await warden.client.callTool({ name: 'connect', arguments: { port } });
      // Proves the listener used by the bwrap test really accepts connections from a server process.
      expect(resultJson(result).ok).toBe(true);
      await expect.poll(() => connections).toBe(1);
      await warden.close();
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});

function resultText(result: unknown): string | undefined {
  return (result as { content?: Array<{ text?: string }> }).content?.[0]?.text;
}
