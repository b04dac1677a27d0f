// Issue 4: escape regression tests for --profile isolate. A fixture MCP server runs each attack on
// demand inside the isolate; every test asserts that the attack reached nothing of the host (or that
// it ended the sandbox by a limit: rule sandbox.limit, exit 70) AND that the warden stayed alive to say so.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASELINE_ENV } from '../../../src/sandboxes/launch-spec/baseline-env.ts';
import { outsideSecret, type OutsideSecret, tmpRoot } from '../../helpers/tmp-root.ts';
import {
  exitWithin,
  initializeRaw,
  PROJECT_ROOT,
  type RawMessage,
  type RawWarden,
  runArgs,
  spawnWardenRaw,
} from '../../helpers/warden.ts';
import { ISOLATE_PROFILE } from '../../helpers/containers.ts';

const ESCAPE_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/isolate/escape-server.mjs');
const UNAVAILABLE = /not available under --profile isolate/;
/** Small budgets so the limit cases end fast; the defaults are 10 s of CPU and 256 MB. */
const CPU_MS = 1000;
const MEMORY_MB = 64;

function start(root: string, canary: string): RawWarden {
  return spawnWardenRaw(
    runArgs({
      profile: 'isolate',
      roots: [root],
      env: ['GIVEN=yes'],
      extraArgs: ['--memory', String(MEMORY_MB)],
      command: [process.execPath, ESCAPE_SERVER, canary],
    }),
    { env: { ...process.env, MCP_WARDEN_ISOLATE_CPU_MS: String(CPU_MS), MCP_WARDEN_LOG_LEVEL: 'warn' } },
  );
}

async function callTool(warden: RawWarden, id: number, name: string, args: object = {}): Promise<RawMessage> {
  return warden.request(id, 'tools/call', { name, arguments: args }, 30_000);
}

/** The JSON a tool reported. */
function report(message: RawMessage): Record<string, unknown> {
  expect(message.error, JSON.stringify(message.error)).toBeUndefined();
  const content = (message.result as { content: Array<{ text: string }> }).content[0];
  return JSON.parse(content?.text ?? 'null') as Record<string, unknown>;
}

describe.runIf(ISOLATE_PROFILE.enabled)(`isolate escapes (${ISOLATE_PROFILE.status})`, () => {
  describe('attacks that must reach nothing of the host (one session)', () => {
    let warden: RawWarden;
    let root: string;
    let canary: string;
    let secret: OutsideSecret;
    let nextId = 1;

    beforeAll(async () => {
      root = tmpRoot('isolate-escape');
      canary = tmpRoot('isolate-canary');
      secret = outsideSecret();
      warden = start(root, canary);
      await initializeRaw(warden);
    });

    afterAll(async () => {
      warden.endInput();
      expect(await exitWithin(warden, 10_000)).toEqual({ code: 0, signal: null });
      // No attack ran a command: the canary directory is still empty.
      expect(readdirSync(canary)).toEqual([]);
    });

    it("this.constructor.constructor('return process')() yields only the guest's own process", async () => {
      const found = report(await callTool(warden, nextId++, 'constructor_escape'));
      expect(found).toMatchObject({
        type: 'object',
        mainModule: 'undefined',
        dlopen: 'undefined',
        reallyExit: 'undefined',
      });
      expect(found.binding).toMatchObject({ ok: false });
      expect(found.execSync).toMatchObject({ ok: false });
      expect((found.getBuiltin as { error: string }).error).toMatch(UNAVAILABLE);
    });

    it("Function('return globalThis') is the isolate's global, with no host handle on it", async () => {
      const found = report(await callTool(warden, nextId++, 'function_global'));
      expect(found.sameGlobal).toBe(true);
      expect(found.hostOnly).toEqual([]);
      expect(found.process).toMatchObject({ mainModule: 'undefined', execSync: { ok: false } });
    });

    it('prototype walks from host-made values reach only guest objects', async () => {
      const found = report(await callTool(warden, nextId++, 'prototype_walk'));
      expect(found).toMatchObject({
        hostErrorCode: 'EACCES',
        errorIsGuestError: true,
        errorFunctionIsGuestFunction: true,
      });
      expect((found.walk as { hostOnly: string[]; objects: number }).hostOnly).toEqual([]);
      expect((found.walk as { objects: number }).objects).toBeGreaterThan(100);
      expect(found.escapedProcess).toMatchObject({ mainModule: 'undefined', execSync: { ok: false } });
    });

    it('require() of forbidden modules imports, and calling them throws a clear error', async () => {
      const found = report(await callTool(warden, nextId++, 'require_forbidden'));
      expect(found.globalRequire).toBe('undefined');
      for (const key of ['childProcess', 'net', 'worker', 'vm']) {
        expect(found[key], key).toMatchObject({ ok: false, code: 'ERR_WARDEN_UNAVAILABLE' });
        expect((found[key] as { error: string }).error).toMatch(UNAVAILABLE);
      }
      expect(found.unknownFile).toMatchObject({ ok: false, code: 'MODULE_NOT_FOUND' });
    });

    it('import() of forbidden modules: static names get the stand-in, computed names fail', async () => {
      const found = report(await callTool(warden, nextId++, 'import_forbidden'));
      expect((found.staticImport as { error: string }).error).toMatch(UNAVAILABLE);
      expect((found.spawn as { error: string }).error).toMatch(UNAVAILABLE);
      expect(found.dynamic).toMatchObject({ ok: false });
      expect((found.fetch as { error: string }).error).toMatch(UNAVAILABLE);
    });

    it('fs outside the roots is refused host-side even when the policy cannot see the path', async () => {
      const read = report(
        await callTool(warden, nextId++, 'read_outside', {
          path: Buffer.from(secret.file).toString('base64'),
        }),
      );
      expect(read).toMatchObject({ ok: false, code: 'EACCES' });
      expect(JSON.stringify(read)).not.toContain(secret.content);
      const target = path.join(secret.dir, 'planted.txt');
      const written = report(
        await callTool(warden, nextId++, 'write_outside', { path: Buffer.from(target).toString('base64') }),
      );
      expect(written).toMatchObject({ ok: false, code: 'EACCES' });
      expect(existsSync(target)).toBe(false);
    });

    it("the guest's process.env is exactly the --env allowlist plus the baseline", async () => {
      // HOME is the server's private state home (issue 15), never the real home.
      expect(report(await callTool(warden, nextId++, 'env'))).toEqual({
        ...BASELINE_ENV,
        GIVEN: 'yes',
        HOME: expect.stringMatching(/\/mcp-warden\/homes\//),
      });
    });
  });

  describe.each([
    { attack: 'busy_loop', kind: 'cpu', returns: false },
    { attack: 'async_loop', kind: 'cpu', returns: true },
    { attack: 'timer_loop', kind: 'cpu', returns: true },
    { attack: 'memory_hog', kind: 'memory', returns: false },
    // V8 may spend seconds in one JSON.parse before the heap limit lands; on a busy machine the CPU
    // watchdog can win that race. Either limit ending the session is the contained outcome.
    { attack: 'json_bomb', kind: 'memory|cpu', returns: false },
  ])(
    '$attack ends the sandbox by its $kind limit; the warden reports it and exits 70',
    ({ attack, kind, returns }) => {
      it('contained', async () => {
        const root = tmpRoot(`isolate-${attack}`);
        const warden = start(root, tmpRoot('isolate-canary'));
        await initializeRaw(warden);
        const first = await callTool(warden, 1, attack);
        // A loop started from a callback lets the call answer first; later requests (a timer loop may still
        // answer some between its ticks) meet the kill.
        let victim = first;
        for (let id = 2; returns && victim.error === undefined && id < 200; id++)
          victim = await callTool(warden, id, 'env');
        if (returns) expect(first.error).toBeUndefined();
        expect(victim.error).toMatchObject({ code: -32002, data: { rule: 'sandbox.limit' } });
        expect(victim.error?.message).toMatch(new RegExp(`(${kind}) limit`));
        expect(await exitWithin(warden, 10_000)).toEqual({ code: 70, signal: null });
        expect(warden.stderr()).toContain('sandbox.limit');
      });
    },
  );
});
