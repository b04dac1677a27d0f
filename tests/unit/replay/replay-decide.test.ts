// replaySession with the real policy engine and the real egress decisions on hand-built records.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PolicySchema, type PolicyInput } from '../../../src/config/policy-schema.ts';
import type { ResolvedRoot } from '../../../src/config/root.ts';
import { egressMode } from '../../../src/network/egress-settings.ts';
import { parseRecord, type RecordedSession } from '../../../src/replay/read-record.ts';
import { type ReplayContext, replaySession } from '../../../src/replay/replay-decide.ts';
import { hostPaths } from '../../../src/util/host-paths.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

let base: string;
let roots: ResolvedRoot[];

beforeAll(() => {
  base = tmpRoot('replay-decide');
  mkdirSync(path.join(base, 'data'));
  mkdirSync(path.join(base, 'docs'));
  roots = [
    { path: path.join(base, 'data'), realPath: path.join(base, 'data'), readOnly: false },
    { path: path.join(base, 'docs'), realPath: path.join(base, 'docs'), readOnly: false },
  ];
});

const HEADER = (r: ResolvedRoot[]) => ({
  type: 'header',
  format: 'mcp-warden-record',
  version: 1,
  time: '2026-01-02T03:04:05.000Z',
  warden: '0.1.0',
  session: 's',
  profile: { name: 'none', backend: 'none', sha256: 'c'.repeat(64) },
  roots: r,
  allowHost: [],
  contents: false,
  command: ['node', 'server.js'],
});

let seq = 0;
const client = (message: object, verdict: object = { action: 'allow' }) => ({
  type: 'message',
  seq: ++seq,
  t: seq,
  direction: 'client',
  bytes: JSON.stringify(message).length,
  message: { jsonrpc: '2.0', ...message },
  verdict,
});
const server = (message: object, verdict: object = { action: 'allow' }) => ({
  ...client(message, verdict),
  direction: 'server',
});
const connection = (host: string, port: number, verdict: string, extra: object = {}) => ({
  type: 'network',
  seq: ++seq,
  t: seq,
  connection: { protocol: 'connect', host, port, verdict, bytesOut: 1, bytesIn: 1, durationMs: 1, ...extra },
});
const call = (id: number, name: string, args: object) => ({
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});
const text = (id: number) => ({ id, result: { content: [{ type: 'text', text: 'ok' }] } });
const TOOLS = {
  tools: ['read_file', 'write_file', 'search_files'].map((name) => ({
    name,
    description: `${name} tool`,
    inputSchema: { type: 'object', properties: { path: { type: 'string' } } },
  })),
};

function record(lines: object[]): RecordedSession {
  const parsed = parseRecord(
    `${[HEADER(roots), ...lines].map((l) => JSON.stringify(l)).join('\n')}\n`,
    'r.jsonl',
  );
  if (!parsed.ok) throw new Error(parsed.error.problem);
  return parsed.sessions[0] as RecordedSession;
}

function context(
  policy: PolicyInput = {},
  r = roots,
  network: Parameters<typeof egressMode>[0] = false,
): ReplayContext {
  return {
    policy: {
      policy: PolicySchema.parse(policy),
      roots: r,
      home: base,
      realpath: hostPaths.realpath,
      readlink: hostPaths.readlink,
      exists: hostPaths.exists,
    },
    egress: egressMode(network, []),
    hostAddresses: [],
  };
}

function session(): RecordedSession {
  const data = (f: string) => path.join(base, 'data', f);
  const docs = (f: string) => path.join(base, 'docs', f);
  return record([
    client({
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
    }),
    server({
      id: 0,
      result: {
        protocolVersion: '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 's', version: '1' },
      },
    }),
    client({ method: 'notifications/initialized' }),
    client({ id: 1, method: 'tools/list' }),
    server({ id: 1, result: TOOLS }),
    client(call(2, 'read_file', { path: data('a.txt') })),
    server(text(2)),
    client(call(3, 'write_file', { path: docs('b.txt'), content: 'x' })),
    server(text(3)),
    client(call(4, 'search_files', { path: data('') })),
    server(text(4)),
    client(call(5, 'read_file', { path: '/etc/passwd' }), {
      action: 'deny',
      rule: 'path.outside-root',
      reason: 'arguments.path is outside the allowed roots',
    }),
  ]);
}

describe('replaySession', () => {
  it('finds nothing to report under the policy the session was recorded with', () => {
    const out = replaySession(session(), context());
    expect(out.changes).toEqual([]);
    expect(out).toMatchObject({ messages: 12, skipped: 0, notRedecided: 0 });
  });

  it('reports exactly what a tighter policy denies, and skips the answers never asked for', () => {
    const tight = roots.map((root) => (root.path.endsWith('docs') ? { ...root, readOnly: true } : root));
    const out = replaySession(session(), context({ tools: { allow: ['read_file', 'write_file'] } }, tight));
    expect(
      out.changes.map((c) => [c.line, c.kind, c.tool, c.after.allowed ? 'allow' : c.after.rule]),
    ).toEqual([
      [9, 'allowed → denied', 'write_file', 'path.read-only'],
      [11, 'allowed → denied', 'search_files', 'tool.not-allowed'],
    ]);
    expect(out.skipped).toBe(2);
    expect(out.messages).toBe(10);
  });

  it('reports denied → allowed when a policy opens up, with the recorded rule', () => {
    const everything: ResolvedRoot[] = [...roots, { path: '/etc', realPath: '/etc', readOnly: true }];
    const out = replaySession(session(), context({}, everything));
    expect(out.changes).toMatchObject([
      {
        line: 13,
        kind: 'denied → allowed',
        method: 'tools/call',
        tool: 'read_file',
        summary: 'path="/etc/passwd"',
        before: { allowed: false, rule: 'path.outside-root' },
        after: { allowed: true },
      },
    ]);
  });

  it('decides server messages again: a server request the policy now forbids is a kill', () => {
    const sampling = record([server({ id: 'x', method: 'sampling/createMessage', params: {} })]);
    expect(
      replaySession(sampling, context({ methods: { serverRequests: ['ping', 'sampling/createMessage'] } }))
        .changes,
    ).toEqual([]);
    expect(replaySession(sampling, context()).changes).toMatchObject([
      {
        direction: 'server',
        method: 'sampling/createMessage',
        after: { allowed: false, action: 'kill', rule: 'server.request-not-allowed' },
      },
    ]);
  });

  it('checks the profile’s size limits from the recorded sizes', () => {
    const big = record([{ ...client({ id: 1, method: 'ping' }), bytes: 5 * 1024 * 1024 }]);
    expect(replaySession(big, context()).changes).toMatchObject([
      { kind: 'allowed → denied', after: { rule: 'size.message' } },
    ]);
    expect(replaySession(big, context({ limits: { clientMessageBytes: 8 * 1024 * 1024 } })).changes).toEqual(
      [],
    );
  });

  it('follows the warden’s own answers: a late answer after a timeout stays a quiet deny', () => {
    const late = record([
      client({
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
      }),
      server({
        id: 0,
        result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 's', version: '1' } },
      }),
      client({ id: 7, method: 'ping' }),
      {
        type: 'own',
        seq: ++seq,
        t: seq,
        to: 'client',
        message: {
          jsonrpc: '2.0',
          id: 7,
          error: { code: -32001, message: 'timeout', data: { rule: 'request.timeout' } },
        },
      },
      server({ id: 7, result: {} }, { action: 'deny', rule: 'protocol.unknown-id', reason: 'late' }),
    ]);
    const out = replaySession(late, context());
    expect(out.changes).toEqual([]);
  });

  it('decides each recorded connection’s host again (name, then the address dialled)', () => {
    const net = record([
      connection('api.example.test', 443, 'allow', { address: '93.184.216.34' }),
      connection('evil.example.test', 443, 'deny', {
        rule: 'network.host-not-allowed',
        reason: 'not in the allowlist',
      }),
      connection('api.example.test', 443, 'deny', { rule: 'network.limit', reason: 'too many connections' }),
    ]);
    const settings = {
      allow: ['api.example.test'],
      deny: [],
      allowPrivate: false,
      maxConnections: 32,
      onDeny: 'deny' as const,
      resolve: {},
    };
    const same = replaySession(net, context({}, roots, settings));
    expect(same).toMatchObject({ changes: [], connections: 2, notRedecided: 1 });
    const none = replaySession(net, context({}, roots, false));
    expect(none.changes).toMatchObject([
      {
        direction: 'network',
        summary: 'api.example.test:443',
        kind: 'allowed → denied',
        after: { rule: 'network.host-not-allowed' },
      },
    ]);
    const open = replaySession(net, context({}, roots, { ...settings, allow: ['*.example.test'] }));
    expect(open.changes).toMatchObject([{ summary: 'evil.example.test:443', kind: 'denied → allowed' }]);
    // The address dialled is decided too: a deny entry on it refuses the connection.
    const byAddress = replaySession(net, context({}, roots, { ...settings, deny: ['93.184.216.0/24'] }));
    expect(byAddress.changes).toMatchObject([
      { summary: 'api.example.test:443', after: { rule: 'network.host-not-allowed' } },
    ]);
  });
});
