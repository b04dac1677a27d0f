// Issue 15 item 7: a server that prints a stray line on stdout (here the conformance reference server
// with a console.log in its progress tool) keeps working under the warden, as it does with the SDK's
// own stdio client: the line is dropped and audited, never forwarded.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpRoot } from '../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT, startWarden } from '../helpers/warden.ts';

const SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/conformance-server.mjs');

describe.each([
  { profile: 'none' as const, enabled: true },
  { profile: 'bwrap' as const, enabled: BWRAP_AVAILABLE },
])('a console.log on the server stdout, profile $profile', ({ profile, enabled }) => {
  describe.runIf(enabled)(`(${enabled ? 'available' : 'SKIPPED: bwrap not on PATH'})`, () => {
    it('the progress tool answers, twice, and the line is audited without its content', async () => {
      const auditLog = path.join(tmpRoot(`stray-${profile}`), 'audit.jsonl');
      const warden = await startWarden({
        profile,
        auditLog,
        command: [process.execPath, SERVER, '--stray-log'],
      });
      try {
        const progress: number[] = [];
        for (const token of [1, 2]) {
          const result = await warden.client.callTool(
            { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: token } },
            undefined,
            { onprogress: (p) => progress.push(p.progress) },
          );
          expect(result.isError).toBeFalsy();
        }
        expect(progress.length).toBeGreaterThanOrEqual(4);
      } finally {
        await warden.close();
      }
      const events = readFileSync(auditLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const stray = events.filter((e) => e.event === 'protocol.stray-output');
      expect(stray.length).toBeGreaterThanOrEqual(1);
      expect(stray.at(-1)).toMatchObject({ totalLines: 2 });
      expect(readFileSync(auditLog, 'utf8')).not.toContain('progress token');
      expect(events.some((e) => e.event === 'verdict' && e.action === 'kill')).toBe(false);
      expect(warden.stderr()).toMatch(/non-JSON line on stdout: dropped/);
    });
  });
});
