// Fuzzing the real supervisor (Session) in-process: random JSON-RPC traffic in both directions through
// framing, policy and the pump, against an in-memory sandbox whose server side the property drives.
// Properties per run: the session never crashes (it ends with 0 or 70); nothing it forwards in either
// direction was denied by construction; every forwarded message re-parses to exactly what was sent;
// every response the client gets answers an id the client sent.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditLog } from '../../src/audit/audit-log.ts';
import { ProfileSchema } from '../../src/config/profile-schema.ts';
import type { Backend, ExitInfo, Sandbox, SandboxPlan } from '../../src/sandboxes/types.ts';
import { Session } from '../../src/supervisor/session.ts';
import { hostPaths } from '../../src/util/host-paths.ts';
import { MessageCounter, settings, TIMEOUT } from './fuzz-settings.ts';

const ROOT = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-fuzz-session-')));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

const counter = new MessageCounter();
let forwarded = 0;
afterAll(() => {
  console.log(`session fuzz: ${counter.count} messages (${forwarded} forwarded to the server)`);
  expect(counter.count).toBeGreaterThanOrEqual(3000);
  // A harness that forwards nothing would pass every property: make sure traffic really flowed.
  expect(forwarded).toBeGreaterThan(counter.count / 5);
});

type Json = Record<string, unknown>;

/** Parse newline-delimited JSON from a stream; a line that is not JSON is recorded as such. */
function collect(stream: PassThrough, into: Json[]): void {
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        into.push(JSON.parse(line) as Json);
      } catch {
        into.push({ unparseable: line.slice(0, 200) });
      }
    }
  });
}

class FakeSandbox implements Sandbox {
  readonly pid = 4242;
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly exited: Promise<ExitInfo>;
  readonly received: Json[] = [];
  #exit!: (info: ExitInfo) => void;
  #stopped = false;

  constructor() {
    this.exited = new Promise((resolve) => (this.#exit = resolve));
    collect(this.stdin, this.received);
  }

  stop(): Promise<ExitInfo> {
    if (!this.#stopped) {
      this.#stopped = true;
      // Both pipes close as a real sandbox's do, or the link would wait out its 250 ms fallback for
      // stderr on every run.
      this.stdout.end();
      this.stderr.end();
      this.#exit({ code: null, signal: 'SIGKILL' });
    }
    return this.exited;
  }
}

const plan: SandboxPlan = { backend: 'none', argv: ['server'], env: {}, cwd: '/', notes: [], unenforced: [] };
const profile = ProfileSchema.parse({ name: 'fuzz', backend: 'none', policy: { tools: { deny: ['env'] } } });

const OUTSIDE = [
  '/etc/passwd',
  '../x',
  `${ROOT}/../x`,
  'file:///etc/shadow',
  '~/.ssh/id_rsa',
  `${ROOT}-evil/y`,
];
const DENIED_METHODS = ['sampling/createMessage', 'roots/list', 'tools/call ', 'evil/x'];

type Op =
  | { op: 'request'; id: number | string; method: string; params: Json; bad: boolean }
  | { op: 'notify'; method: string; bad: boolean }
  | { op: 'garbage'; text: string }
  | { op: 'answer'; pick: number; result: Json }
  | { op: 'answer-unknown' }
  | { op: 'server-notify'; bad: boolean }
  | { op: 'server-request'; bad: boolean };

const text = fc.string({ maxLength: 16 }).filter((s) => !/^[/~.]|\.\.|file:|\\|\0/i.test(s));
const id = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom('a', 'b', 'c', 'ü', '\u2028'));
/** Server breaches end the session: keep them rare so most runs carry traffic for a while. */
const rarely = fc.integer({ min: 0, max: 9 }).map((n) => n === 0);
const ops: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('request' as const),
        id,
        method: fc.constant('tools/call'),
        params: fc.record({ name: fc.constant('echo'), arguments: fc.record({ text }) }),
        bad: fc.constant(false),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('request' as const),
        id,
        method: fc.constant('tools/call'),
        params: fc.record({
          name: fc.constantFrom('echo', 'read_file'),
          arguments: fc.record({ text, p: fc.constantFrom(...OUTSIDE) }),
        }),
        bad: fc.constant(true),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('request' as const),
        id,
        method: fc.constant('tools/call'),
        params: fc.constant({ name: 'env', arguments: {} }),
        bad: fc.constant(true),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('request' as const),
        id,
        method: fc.constantFrom(...DENIED_METHODS),
        params: fc.constant({}),
        bad: fc.constant(true),
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({
          op: fc.constant('notify' as const),
          method: fc.constantFrom('notifications/progress', 'notifications/evil'),
          bad: fc.boolean(),
        })
        .map((n) => ({ ...n, method: n.bad ? 'notifications/evil' : 'notifications/progress' })),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('garbage' as const),
        text: fc.string({ maxLength: 30 }).map((s) => s.replaceAll('\n', ' ')),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('answer' as const),
        pick: fc.nat(),
        result: fc.record({
          content: fc.array(fc.record({ type: fc.constant('text'), text }), { maxLength: 2 }),
        }),
      }),
    },
    {
      weight: 1,
      arbitrary: rarely.map((r) =>
        r ? { op: 'answer-unknown' as const } : { op: 'garbage' as const, text: '' },
      ),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('server-notify' as const), bad: rarely }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('server-request' as const), bad: rarely }) },
  ),
  { minLength: 5, maxLength: 30 },
);

/** fast-check builds null-prototype objects; compare as JSON values. */
const plain = (m: object): Json => JSON.parse(JSON.stringify(m)) as Json;

const settle = async (): Promise<void> => {
  for (let i = 0; i < 4; i++) await new Promise((resolve) => setImmediate(resolve));
};

async function runSession(sequence: Op[]): Promise<void> {
  const sandbox = new FakeSandbox();
  const backend: Backend = {
    name: 'none',
    probe: () => Promise.resolve({ available: true }),
    plan: () => plan,
    launch: () => Promise.resolve(sandbox),
  };
  const clientIn = new PassThrough();
  const clientOut = new PassThrough();
  const toClient: Json[] = [];
  collect(clientOut, toClient);
  const session = new Session({
    sessionId: 'fuzz',
    profile,
    backend,
    plan,
    command: ['server'],
    policy: {
      policy: profile.policy,
      roots: [{ path: ROOT, realPath: ROOT, readOnly: false }],
      home: '/nonexistent',
      realpath: hostPaths.realpath,
      readlink: hostPaths.readlink,
    },
    audit: { write: () => undefined } as unknown as AuditLog,
    logger: pino({ level: 'silent' }),
    clientIn,
    clientOut,
    serverLog: new PassThrough(),
  });
  const done = session.run();
  await settle();

  const goodClient: Json[] = [];
  const badClient: Json[] = [];
  const clientIds = new Set<string>();
  const goodServer: Json[] = [];
  const badServer: Json[] = [];
  const answered = new Set<number>();
  const key = (v: unknown): string => JSON.stringify(v);

  for (const step of sequence) {
    counter.add();
    switch (step.op) {
      case 'request': {
        const m = { jsonrpc: '2.0', id: step.id, method: step.method, params: step.params };
        (step.bad ? badClient : goodClient).push(plain(m));
        clientIds.add(key(step.id));
        clientIn.write(`${JSON.stringify(m)}\n`);
        break;
      }
      case 'notify': {
        const m = { jsonrpc: '2.0', method: step.method };
        (step.bad ? badClient : goodClient).push(plain(m));
        clientIn.write(`${JSON.stringify(m)}\n`);
        break;
      }
      case 'garbage':
        clientIn.write(`${step.text}\n`);
        break;
      case 'answer': {
        const requests = sandbox.received.filter((m, i) => 'id' in m && 'method' in m && !answered.has(i));
        if (requests.length === 0) break;
        const target = requests[step.pick % requests.length] as Json;
        answered.add(sandbox.received.indexOf(target));
        const m = { jsonrpc: '2.0', id: target.id, result: step.result };
        goodServer.push(plain(m));
        sandbox.stdout.write(`${JSON.stringify(m)}\n`);
        break;
      }
      case 'answer-unknown': {
        const m = { jsonrpc: '2.0', id: 'never-sent-by-the-client', result: {} };
        badServer.push(plain(m));
        sandbox.stdout.write(`${JSON.stringify(m)}\n`);
        break;
      }
      case 'server-notify': {
        const m = {
          jsonrpc: '2.0',
          method: step.bad ? 'notifications/evil' : 'notifications/message',
          params: { level: 'info', data: 'x' },
        };
        (step.bad ? badServer : goodServer).push(plain(m));
        sandbox.stdout.write(`${JSON.stringify(m)}\n`);
        break;
      }
      case 'server-request': {
        const m = {
          jsonrpc: '2.0',
          id: `srv-${counter.count}`,
          method: step.bad ? 'sampling/createMessage' : 'ping',
          params: {},
        };
        (step.bad ? badServer : goodServer).push(plain(m));
        sandbox.stdout.write(`${JSON.stringify(m)}\n`);
        break;
      }
    }
    await settle();
  }
  clientIn.end();
  const code = await done;
  await settle();

  // No crash: the session ended normally or after a server breach.
  expect([0, 70]).toContain(code);
  forwarded += sandbox.received.length;
  // Forwarded client → server: each is exactly a message the client sent and the policy could allow.
  for (const m of sandbox.received) {
    expect('unparseable' in m, JSON.stringify(m)).toBe(false);
    if (m.method === 'initialize' || (typeof m.id === 'string' && m.id.startsWith('mcp-warden-'))) continue;
    if (m.method === 'notifications/cancelled') continue; // the warden's own cancel after a timeout
    expect(
      badClient.some((b) => isDeepStrictEqual(b, m)),
      `forwarded a denied message ${JSON.stringify(m)}`,
    ).toBe(false);
    expect(
      goodClient.some((g) => isDeepStrictEqual(g, m)),
      `forwarded something never sent ${JSON.stringify(m)}`,
    ).toBe(true);
  }
  // Forwarded server → client, and the warden's own answers.
  for (const m of toClient) {
    expect('unparseable' in m, JSON.stringify(m)).toBe(false);
    const error = (m as { error?: { code?: number } }).error;
    if (error && (error.code === -32001 || error.code === -32002)) {
      // Never answers an id it did not receive.
      if (m.id !== null) expect(clientIds.has(key(m.id)), `answered unknown id ${key(m.id)}`).toBe(true);
      continue;
    }
    expect(
      badServer.some((b) => isDeepStrictEqual(b, m)),
      `forwarded a server breach ${JSON.stringify(m)}`,
    ).toBe(false);
    expect(
      goodServer.some((g) => isDeepStrictEqual(g, m)),
      `relayed something the server never sent ${JSON.stringify(m)}`,
    ).toBe(true);
    if ('result' in m || 'error' in m) expect(clientIds.has(key(m.id))).toBe(true);
  }
}

describe('fuzz: the supervisor under random two-way traffic', () => {
  it(
    'never crashes, never forwards a denied message, never answers an unknown id, forwards exact values',
    async () => {
      await fc.assert(fc.asyncProperty(ops, runSession), settings(300));
    },
    TIMEOUT,
  );
});
