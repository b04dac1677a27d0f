// network.onDeny: with "kill" a refused connection is a breach: the warden kills the sandbox, answers
// the request in flight with -32002 naming the network rule, audits a kill verdict with that rule and
// exits 70. With the default ("deny") the server gets the 403 and the session goes on. Loopback only.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import {
  BWRAP_AVAILABLE,
  PROJECT_ROOT,
  exitWithin,
  initializeRaw,
  runArgs,
  spawnWardenRaw,
} from '../../helpers/warden.ts';
import { type CountingServer, httpServer } from './loopback-servers.ts';

const FETCH_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/fetch-server.mjs');

type AuditEvent = Record<string, unknown> & { event: string };

function auditEvents(file: string): AuditEvent[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEvent);
}

describe.each([
  ['none', true],
  ['bwrap', BWRAP_AVAILABLE],
] as const)('network.onDeny (%s)', (backend, available) => {
  let origin: CountingServer;
  let dir: string;

  /** A warden on the fetch fixture whose profile allows api.example.test only, with `onDeny`. */
  function start(onDeny: 'deny' | 'kill' | undefined) {
    const profile = path.join(dir, `profile-${onDeny ?? 'default'}.json`);
    writeFileSync(
      profile,
      JSON.stringify({
        name: `on-deny-${backend}`,
        backend,
        network: {
          allow: [`api.example.test:${origin.port}`],
          allowPrivate: true,
          resolve: { 'api.example.test': '127.0.0.1', 'evil.example.test': '127.0.0.1' },
          ...(onDeny === undefined ? {} : { onDeny }),
        },
      }),
    );
    const auditLog = path.join(dir, `audit-${onDeny ?? 'default'}.jsonl`);
    const warden = spawnWardenRaw(
      runArgs({ profile: profile as 'none', auditLog, command: ['node', FETCH_SERVER] }),
    );
    const fetchUrl = (id: number, url: string) =>
      warden.request(id, 'tools/call', { name: 'fetch_url', arguments: { url } }, 15_000);
    return { warden, auditLog, fetchUrl };
  }

  beforeAll(async () => {
    if (!available) return;
    dir = tmpRoot('on-deny');
    origin = await httpServer();
  });

  afterAll(async () => {
    await origin?.close();
  });

  it.runIf(available)(
    'kill: a refused connection ends the session as a breach (exit 70, kill verdict naming the rule)',
    async () => {
      const { warden, auditLog, fetchUrl } = start('kill');
      await initializeRaw(warden);
      const before = origin.hits();
      const reply = await fetchUrl(1, `http://evil.example.test:${origin.port}/`);
      expect(reply.error?.code).toBe(-32002);
      expect(reply.error?.data?.rule).toBe('network.host-not-allowed');
      expect((await exitWithin(warden, 10_000)).code).toBe(70);
      expect(origin.hits()).toBe(before);
      const events = auditEvents(auditLog);
      expect(
        events.some(
          (e) => e.event === 'network.connection' && e.verdict === 'deny' && e.host === 'evil.example.test',
        ),
      ).toBe(true);
      expect(
        events.filter(
          (e) =>
            e.event === 'verdict' &&
            e.action === 'kill' &&
            e.direction === 'server' &&
            e.rule === 'network.host-not-allowed',
        ),
      ).toHaveLength(1);
      // (Connections still open when the session ends are audited as the proxy closes, after session.end.)
      expect(events.find((e) => e.event === 'session.end')).toMatchObject({
        exitCode: 70,
        reason: 'breach: network.host-not-allowed',
      });
    },
  );

  it.runIf(available)(
    'default (deny): the server gets the 403, the session goes on and reaches allowed hosts',
    async () => {
      const { warden, auditLog, fetchUrl } = start(undefined);
      await initializeRaw(warden);
      const before = origin.hits();
      const refused = await fetchUrl(1, `http://evil.example.test:${origin.port}/`);
      expect(JSON.stringify(refused.result)).toContain('403');
      expect(origin.hits()).toBe(before);
      const allowed = await fetchUrl(2, `http://api.example.test:${origin.port}/after`);
      expect(JSON.stringify(allowed.result)).toContain('200 hello from');
      expect(origin.hits()).toBe(before + 1);
      warden.endInput();
      expect((await exitWithin(warden, 10_000)).code).toBe(0);
      const events = auditEvents(auditLog);
      expect(events.some((e) => e.event === 'network.connection' && e.verdict === 'deny')).toBe(true);
      expect(events.some((e) => e.event === 'verdict')).toBe(false);
      expect(events.find((e) => e.event === 'session.end')).toMatchObject({ exitCode: 0 });
    },
  );
});
