// Issue 15 item 8: a server that dies while starting is reported as a start-up failure (its exit code,
// its last stderr lines, a hint), with exit status 71 and never as a breach.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT, exitWithin, runArgs, spawnWardenRaw } from '../helpers/warden.ts';

const FIXTURE = path.join(PROJECT_ROOT, 'tests/fixtures/startup-crash.mjs');

async function crashStart(profile: 'none' | 'bwrap', mode: string) {
  const auditLog = path.join(tmpRoot(`startup-${profile}-${mode}`), 'audit.jsonl');
  // A read-only root to write into: the server's own directory may be writable in a checkout under /tmp.
  const ro = tmpRoot(`startup-ro-${profile}-${mode}`);
  const warden = spawnWardenRaw(
    runArgs({
      profile,
      auditLog,
      roots: [`${ro}:ro`],
      command: [process.execPath, FIXTURE, mode, path.join(ro, 'state.json')],
    }),
  );
  warden.send({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
  });
  const status = await exitWithin(warden, 20_000);
  const events = readFileSync(auditLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { status, stderr: warden.stderr(), events, messages: warden.allMessages() };
}

describe.each([
  { profile: 'none' as const, enabled: true },
  { profile: 'bwrap' as const, enabled: BWRAP_AVAILABLE },
])('start-up failures, profile $profile', ({ profile, enabled }) => {
  describe.runIf(enabled)(`(${enabled ? 'available' : 'SKIPPED: bwrap not on PATH'})`, () => {
    it('a ModuleNotFoundError: exit 71, the code, the last stderr lines and a venv hint, no breach', async () => {
      const { status, stderr, events, messages } = await crashStart(profile, 'module');
      expect(status).toEqual({ code: 71, signal: null });
      expect(stderr).toContain('mcp-warden: server exited during start-up with code 3');
      expect(stderr).toContain("  | ModuleNotFoundError: No module named 'mcp_server_time'");
      expect(stderr).toMatch(/hint: a Python module is missing: .*virtualenv/);
      expect(stderr).not.toMatch(/breach/i);
      const failed = events.find((e) => e.event === 'sandbox.startup-failed');
      expect(failed).toMatchObject({ code: 3, hint: expect.stringMatching(/virtualenv/) });
      expect(failed?.stderr).toContain("ModuleNotFoundError: No module named 'mcp_server_time'");
      expect(events.some((e) => e.event === 'verdict')).toBe(false);
      expect(events.at(-1)).toMatchObject({ event: 'session.end', exitCode: 71 });
      expect(JSON.stringify(events)).not.toMatch(/breach/i);
      for (const m of messages)
        expect(m.error).toMatchObject({ code: -32002, data: { rule: 'sandbox.exited' } });
    });
  });
});

describe.runIf(BWRAP_AVAILABLE)('start-up failure on a read-only file system (bwrap)', () => {
  it('EROFS: exit 71 with the error line and a --root hint', async () => {
    const { status, stderr, events } = await crashStart('bwrap', 'erofs');
    expect(status).toEqual({ code: 71, signal: null });
    expect(stderr).toContain('mcp-warden: server exited during start-up with code 1');
    expect(stderr).toMatch(/ {2}\| .*EROFS/);
    expect(stderr).toMatch(/hint: the server wrote outside its read-write roots/);
    expect(stderr).not.toMatch(/breach/i);
    const failed = events.find((e) => e.event === 'sandbox.startup-failed');
    expect(JSON.stringify(failed?.stderr)).toMatch(/EROFS/);
  });
});
