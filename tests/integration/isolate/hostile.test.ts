// Issue 4: the hostile test server under --profile isolate, where only isolate's own cases live: the fs
// shim refuses what the policy cannot see, and the tools that need the network, processes or /proc get
// the clear "not available" error. The policy and server-breach cases run under isolate in
// ../hostile-server.test.ts with every other backend.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OutsideSecret, outsideSecret, tmpRoot } from '../../helpers/tmp-root.ts';
import { HOSTILE_SERVER, type StartedWarden, startWarden } from '../../helpers/warden.ts';
import { ISOLATE_PROFILE } from '../../helpers/containers.ts';

const UNAVAILABLE = /not available under --profile isolate/;

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

/** Wait until `check()` is true (polling), or fail after `timeoutMs`. */
async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const { profile, enabled, status } = ISOLATE_PROFILE;

describe.runIf(enabled)(`hostile server, profile isolate (${status})`, () => {
  describe('the isolate alone: what the policy cannot see', () => {
    let ROOT: string;
    let secret: OutsideSecret;
    let warden: StartedWarden;
    let listener: net.Server;
    let port: number;
    let connections = 0;
    const CANARY = `canary-${mark()}`;

    beforeAll(async () => {
      ROOT = tmpRoot('hostile-isolate');
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

    it('open_secret (a base64-hidden outside path) reads nothing: EACCES from the fs shim', async () => {
      const result = await warden.client.callTool({
        name: 'open_secret',
        arguments: { b64: b64(secret.file) },
      });
      expect(resultJson(result)).toMatchObject({ ok: false, code: 'EACCES' });
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

    it('env is exactly PATH and the --env variables; no host variable leaks', async () => {
      const result = await warden.client.callTool({ name: 'env', arguments: {} });
      const { env } = resultJson(result) as { env: Record<string, string> };
      expect(env).toEqual({
        GIVEN_FROM_HOST: 'from-host',
        GIVEN_VALUE: 'given',
        // The server's private state home (issue 15), never the real home.
        HOME: expect.stringMatching(/\/mcp-warden\/homes\//),
        PATH: '/usr/local/bin:/usr/bin:/bin',
      });
      expect(JSON.stringify(result)).not.toContain(CANARY);
    });

    it.each([
      { tool: 'connect', args: () => ({ port }), module: 'node:net.connect' },
      { tool: 'spawn_children', args: () => ({ tag: mark() }), module: 'node:child_process.spawn' },
    ])('$tool fails with the clear "not available under isolate" error', async ({ tool, args, module }) => {
      // The fixture logs a tool's exception on stderr and sends no answer; the call is abandoned.
      const pending = warden.client.callTool({ name: tool, arguments: args() }, undefined, {
        timeout: 60_000,
      });
      pending.catch(() => undefined);
      await eventually(() => warden.stderr().includes(module), `${module} in the server log`);
      const line =
        warden
          .stderr()
          .split('\n')
          .find((l) => l.includes(module)) ?? '';
      expect(line).toMatch(UNAVAILABLE);
      expect(line).toContain('--profile bwrap');
      expect(connections).toBe(0);
    });

    it('caps cannot read /proc: it is outside the roots', async () => {
      const pending = warden.client.callTool({ name: 'caps', arguments: {} }, undefined, { timeout: 60_000 });
      pending.catch(() => undefined);
      await eventually(
        () => warden.stderr().includes('/proc/self/status'),
        '/proc/self/status in the server log',
      );
      expect(warden.stderr()).toMatch(/\/proc\/self\/status is outside the allowed roots/);
    });

    it('the session is still usable afterwards', async () => {
      const m = mark();
      const result = await warden.client.callTool({ name: 'echo', arguments: { text: m } });
      expect(resultText(result)).toBe(m);
    });
  });
});

function resultText(result: unknown): string | undefined {
  return (result as { content?: Array<{ text?: string }> }).content?.[0]?.text;
}
