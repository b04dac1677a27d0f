// run --record keeps the egress proxy's connection events, and replay decides each connection's host
// again under another profile: a host the new profile refuses is a change (allowed → denied), one it
// now allows too (denied → allowed). Loopback only: every name is *.test resolved to 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../../../src/replay/replay-decide.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { toolText } from '../../helpers/tool-text.ts';
import { BWRAP_AVAILABLE, PROJECT_ROOT, WARDEN_ENTRY, startWarden } from '../../helpers/warden.ts';
import { type CountingServer, httpServer } from './loopback-servers.ts';

const FETCH_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/fetch-server.mjs');
const BACKEND = BWRAP_AVAILABLE ? 'bwrap' : 'none';

function profileFile(dir: string, name: string, allow: string[]): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      backend: BACKEND,
      network: {
        allow,
        allowPrivate: true,
        resolve: {
          'api.example.test': '127.0.0.1',
          'other.example.test': '127.0.0.1',
          'evil.example.test': '127.0.0.1',
        },
      },
    }),
  );
  return file;
}

function replay(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [WARDEN_ENTRY, 'replay', ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe(`run --record with egress, replayed (${BACKEND})`, () => {
  let origin: CountingServer;
  let dir: string;
  let record: string;

  beforeAll(async () => {
    origin = await httpServer();
    dir = tmpRoot('rec-net');
    const recorded = profileFile(dir, 'recorded', [
      `api.example.test:${origin.port}`,
      `other.example.test:${origin.port}`,
    ]);
    record = path.join(dir, 'net.jsonl');
    const warden = await startWarden({
      wardenEnv: { ...process.env, TMPDIR: tmpRoot('rec-net-sock') },
      profile: recorded as 'none',
      extraArgs: ['--record', record],
      command: ['node', FETCH_SERVER],
    });
    try {
      for (const host of ['api.example.test', 'other.example.test']) {
        const text = toolText(
          await warden.client.callTool({
            name: 'fetch_url',
            arguments: { url: `http://${host}:${origin.port}/x` },
          }),
        );
        expect(text).toContain('200 hello from');
      }
      const refused = toolText(
        await warden.client.callTool({
          name: 'fetch_url',
          arguments: { url: `http://evil.example.test:${origin.port}/x` },
        }),
      );
      expect(refused).toContain('403');
    } finally {
      await warden.close();
    }
    for (let i = 0; i < 100 && !readFileSync(record, 'utf8').includes('"type":"end"'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 60_000);

  afterAll(async () => {
    await origin?.close();
  });

  // A connection is recorded when it ends (fetch keeps them alive until the session ends): any order.
  it('records each connection with its verdict', () => {
    const connections = readFileSync(record, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((line) => line.type === 'network')
      .map((line) => [line.connection.host, line.connection.verdict, line.connection.rule])
      .sort();
    expect(connections).toEqual([
      ['api.example.test', 'allow', undefined],
      ['evil.example.test', 'deny', 'network.host-not-allowed'],
      ['other.example.test', 'allow', undefined],
    ]);
  });

  it('reports nothing under the same profile (exit 0)', () => {
    const same = profileFile(dir, 'same', [
      `api.example.test:${origin.port}`,
      `other.example.test:${origin.port}`,
    ]);
    const out = replay(['--profile', same, '--json', record]);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout).totals.connections).toBe(3);
  });

  it('reports a host the new profile refuses, and one it now allows (exit 1)', () => {
    const changed = profileFile(dir, 'changed', [
      `api.example.test:${origin.port}`,
      `evil.example.test:${origin.port}`,
    ]);
    const out = replay(['--profile', changed, '--json', record]);
    expect(out.status).toBe(1);
    const changes = JSON.parse(out.stdout).changes.map((c: Change) => [
      c.direction,
      c.summary,
      c.kind,
      c.after.allowed ? (c.before.allowed ? undefined : c.before.rule) : c.after.rule,
    ]);
    expect(changes.sort()).toEqual([
      ['network', `evil.example.test:${origin.port}`, 'denied → allowed', 'network.host-not-allowed'],
      ['network', `other.example.test:${origin.port}`, 'allowed → denied', 'network.host-not-allowed'],
    ]);
  });
});
