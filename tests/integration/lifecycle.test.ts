// Session lifecycle of `mcp-warden run`: ending, restarting, timeouts, the audit log and CLI exit codes.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoProcesses, findProcesses } from '../helpers/processes.ts';
import { outsideSecret, tmpRoot } from '../helpers/tmp-root.ts';
import {
  BWRAP_AVAILABLE,
  ECHO_SERVER,
  exitWithin,
  HOSTILE_SERVER,
  initializeRaw,
  PROJECT_ROOT,
  type RawMessage,
  runArgs,
  spawnWardenRaw,
  WARDEN_ENTRY,
} from '../helpers/warden.ts';

// "Within 1 s" plus slack for a loaded 2-core machine.
const PROMPT_MS = 1500;

const mark = (): string => `mark${randomBytes(8).toString('hex')}`;

function echoCall(id: number, text: string): [number, string, object] {
  return [id, 'tools/call', { name: 'echo', arguments: { text } }];
}

function toolText(message: RawMessage): string | undefined {
  return (message.result as { content?: Array<{ text?: string }> } | undefined)?.content?.[0]?.text;
}

describe.each([
  { profile: 'none' as const, enabled: true },
  { profile: 'bwrap' as const, enabled: BWRAP_AVAILABLE },
])('ending a session, profile $profile', ({ profile, enabled }) => {
  describe.runIf(enabled)(
    `(${enabled ? `${profile} backend available` : 'SKIPPED: bwrap not on PATH'})`,
    () => {
      it('client EOF → warden and every server process gone within 1 s, exit 0', async () => {
        const ROOT = tmpRoot(`eof-${profile}`);
        const marker = mark();
        const warden = spawnWardenRaw(
          runArgs({ profile, roots: [ROOT], command: [process.execPath, ECHO_SERVER, marker] }),
        );
        await initializeRaw(warden);
        const reply = await warden.request(...echoCall(1, 'hello'));
        expect(toolText(reply)).toBe('hello');
        expect(findProcesses(marker).length).toBeGreaterThan(0);
        const started = Date.now();
        warden.endInput();
        const status = await exitWithin(warden, PROMPT_MS);
        expect(status).toEqual({ code: 0, signal: null });
        await expectNoProcesses(marker, Math.max(0, PROMPT_MS - (Date.now() - started)));
        expect(warden.nonJsonLines()).toEqual([]);
      });

      it('SIGTERM → warden and every server process gone within 1 s, exit 0', async () => {
        const ROOT = tmpRoot(`term-${profile}`);
        const marker = mark();
        const warden = spawnWardenRaw(
          runArgs({ profile, roots: [ROOT], command: [process.execPath, ECHO_SERVER, marker] }),
        );
        await initializeRaw(warden);
        expect(toolText(await warden.request(...echoCall(1, 'x')))).toBe('x');
        expect(findProcesses(marker).length).toBeGreaterThan(0);
        const started = Date.now();
        warden.child.kill('SIGTERM');
        const status = await exitWithin(warden, PROMPT_MS);
        expect(status).toEqual({ code: 0, signal: null });
        await expectNoProcesses(marker, Math.max(0, PROMPT_MS - (Date.now() - started)));
      });
    },
  );
});

describe('--on-breach restart', () => {
  it('after a crash the next request succeeds on a fresh server; the warden replays initialize', async () => {
    const ROOT = tmpRoot('restart');
    const LOG = path.join(ROOT, 'requests.log');
    const warden = spawnWardenRaw(
      runArgs({
        profile: 'none',
        roots: [ROOT],
        extraArgs: ['--on-breach', 'restart'],
        command: [process.execPath, HOSTILE_SERVER, '--root', ROOT, '--log', LOG],
      }),
    );
    await initializeRaw(warden);
    const before = JSON.parse(
      toolText(await warden.request(1, 'tools/call', { name: 'caps', arguments: {} })) ?? '{}',
    );
    const crashed = await warden.request(2, 'tools/call', {
      name: 'misbehave',
      arguments: { mode: 'crash' },
    });
    expect(crashed.error).toMatchObject({ code: -32002, data: { rule: 'sandbox.exited' } });
    // No re-initialize from the client: the next request just works.
    const after = await warden.request(3, 'tools/call', { name: 'caps', arguments: {} }, 20_000);
    expect(after.error, JSON.stringify(after.error)).toBeUndefined();
    const fresh = JSON.parse(toolText(after) ?? '{}');
    expect(fresh.pid).not.toBe(before.pid);
    expect(fresh.startedAt).not.toBe(before.startedAt);
    // The second server instance received an initialize the client never sent again.
    const methods = readFileSync(LOG, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { method?: string }).method);
    expect(methods.filter((m) => m === 'initialize')).toHaveLength(2);
    expect(methods.filter((m) => m === 'notifications/initialized')).toHaveLength(2);
    expect(warden.child.exitCode).toBeNull();
    warden.endInput();
    expect(await exitWithin(warden, 5_000)).toEqual({ code: 0, signal: null });
  });
});

describe('--timeout', () => {
  it('a hung request gets -32001 request.timeout within ~1 s and the session stays usable', async () => {
    const ROOT = tmpRoot('timeout');
    const LOG = path.join(ROOT, 'requests.log');
    const warden = spawnWardenRaw(
      runArgs({
        profile: 'none',
        roots: [ROOT],
        extraArgs: ['--timeout', '500'],
        command: [process.execPath, HOSTILE_SERVER, '--root', ROOT, '--log', LOG],
      }),
    );
    await initializeRaw(warden);
    const started = Date.now();
    const hung = await warden.request(
      7,
      'tools/call',
      { name: 'misbehave', arguments: { mode: 'hang' } },
      10_000,
    );
    const elapsed = Date.now() - started;
    expect(hung.error).toMatchObject({ code: -32001, data: { rule: 'request.timeout' } });
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(500 + PROMPT_MS);
    expect(toolText(await warden.request(...echoCall(8, 'still here')))).toBe('still here');
    // docs/design.md: the server gets notifications/cancelled for the timed-out request.
    const cancels = readFileSync(LOG, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { method?: string; params?: { requestId?: unknown } })
      .filter((m) => m.method === 'notifications/cancelled');
    expect(cancels.map((m) => m.params?.requestId)).toEqual([7]);
    warden.endInput();
    expect(await exitWithin(warden, 5_000)).toEqual({ code: 0, signal: null });
  });
});

describe('--audit-log and audit verify', () => {
  const verify = (file: string): { status: number | null; stdout: string; stderr: string } => {
    const run = spawnSync(process.execPath, [WARDEN_ENTRY, 'audit', 'verify', file], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };

  it('a denial is one JSON line without the secret; verify passes, then fails after tampering', async () => {
    const ROOT = tmpRoot('audit');
    const AUDIT = path.join(tmpRoot('audit-log'), 'audit.jsonl');
    const secretValue = `TOPSECRET-${randomBytes(12).toString('hex')}`;
    const outside = outsideSecret();
    const warden = spawnWardenRaw(
      runArgs({
        profile: 'none',
        roots: [ROOT],
        auditLog: AUDIT,
        command: [process.execPath, HOSTILE_SERVER, '--root', ROOT],
      }),
    );
    await initializeRaw(warden);
    const denied = await warden.request(1, 'tools/call', {
      name: 'write_file',
      arguments: { path: path.join(outside.dir, 'x.txt'), content: secretValue },
    });
    expect(denied.error).toMatchObject({ code: -32001, data: { rule: 'path.outside-root' } });
    const denied2 = await warden.request(2, 'tools/call', {
      name: 'read_file',
      // The denied path itself is legitimate audit detail; the secret rides in another argument.
      arguments: { path: `${ROOT}/../not-a-root/id_rsa`, token: secretValue },
    });
    expect(denied2.error).toMatchObject({ code: -32001, data: { rule: 'path.outside-root' } });
    expect(toolText(await warden.request(...echoCall(3, 'ok')))).toBe('ok');
    warden.endInput();
    expect(await exitWithin(warden, 5_000)).toEqual({ code: 0, signal: null });

    const text = readFileSync(AUDIT, 'utf8');
    expect(text).not.toContain(secretValue);
    expect(text).not.toContain(outside.content);
    const lines = text.trim().split('\n');
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const denials = events.filter((e) => e.rule === 'path.outside-root');
    expect(denials).toHaveLength(2);
    for (const event of denials) {
      expect(event).toMatchObject({ direction: 'client', action: 'deny' });
    }

    const ok = verify(AUDIT);
    expect(ok.status, ok.stderr).toBe(0);

    // One byte changed in a denial line.
    const index = lines.findIndex((line) => line.includes('"path.outside-root"'));
    const flipped = [...lines];
    flipped[index] = (flipped[index] as string).replace('"path.outside-root"', '"path.outside-roos"');
    const tampered = `${AUDIT}.flipped`;
    writeFileSync(tampered, `${flipped.join('\n')}\n`);
    expect(Buffer.byteLength(readFileSync(tampered))).toBe(Buffer.byteLength(text));
    const flippedRun = verify(tampered);
    expect(flippedRun.status, flippedRun.stdout + flippedRun.stderr).not.toBe(0);

    // A middle line deleted.
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const middle = Math.floor(lines.length / 2);
    const deleted = `${AUDIT}.deleted`;
    writeFileSync(deleted, `${lines.filter((_, i) => i !== middle).join('\n')}\n`);
    const deletedRun = verify(deleted);
    expect(deletedRun.status, deletedRun.stdout + deletedRun.stderr).not.toBe(0);
  });
});

describe('CLI usage errors exit 2 with a message on stderr and nothing on stdout', () => {
  const echo = [process.execPath, ECHO_SERVER];
  it.each([
    { name: 'unknown flag', args: ['run', '--profile', 'none', '--bogus-flag', '--', ...echo] },
    { name: 'missing command', args: ['run', '--profile', 'none'] },
    { name: 'missing command after --', args: ['run', '--profile', 'none', '--'] },
    { name: 'bad profile name', args: ['run', '--profile', 'no-such-profile', '--', ...echo] },
    { name: 'relative --root', args: ['run', '--profile', 'none', '--root', 'relative/dir', '--', ...echo] },
    { name: 'bad --on-breach', args: ['run', '--profile', 'none', '--on-breach', 'explode', '--', ...echo] },
  ])('$name', async ({ args }) => {
    const warden = spawnWardenRaw(args);
    const status = await exitWithin(warden, 15_000);
    expect(status).toEqual({ code: 2, signal: null });
    expect(warden.stderr().trim()).not.toBe('');
    expect(warden.stdoutBytes()).toBe(0);
  });

  it('--profile bwrap without bwrap on PATH exits 69 with a hint', async () => {
    const emptyBin = tmpRoot('empty-bin');
    const ROOT = tmpRoot('no-bwrap');
    const warden = spawnWardenRaw(runArgs({ profile: 'bwrap', roots: [ROOT], command: echo }), {
      env: { ...process.env, PATH: emptyBin },
    });
    const status = await exitWithin(warden, 15_000);
    expect(status).toEqual({ code: 69, signal: null });
    expect(warden.stderr()).toMatch(/bwrap|bubblewrap/i);
    expect(warden.stdoutBytes()).toBe(0);
  });
});
