// The session loop in-process, against an in-memory sandbox: what is forwarded, what is answered, and
// what ends the session. Real processes are covered by tests/integration.
import path from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AuditLog } from '../../../src/audit/audit-log.ts';
import type { AuditEvent } from '../../../src/audit/events.ts';
import { ProfileSchema } from '../../../src/config/profile-schema.ts';
import { Session } from '../../../src/supervisor/session.ts';
import { call, harness, plan, rootDir, tick } from './session-harness.ts';

describe('Session', () => {
  it('forwards allowed requests and relays the answer', async () => {
    const h = harness();
    await tick();
    h.send(call(1, 'read', { path: path.join(rootDir, 'a.txt') }));
    await tick();
    expect(h.sandboxes[0]?.received).toEqual([call(1, 'read', { path: path.join(rootDir, 'a.txt') })]);
    h.sandboxes[0]?.send({ jsonrpc: '2.0', id: 1, result: { content: [] } });
    await tick();
    expect(h.toClient).toEqual([{ jsonrpc: '2.0', id: 1, result: { content: [] } }]);
    h.clientIn.end();
    expect(await h.done).toBe(0);
  });

  it('answers a client breach with -32001 and never forwards it', async () => {
    const h = harness();
    await tick();
    h.send(call(7, 'read', { path: '/etc/passwd' }));
    h.send('[1,2]\n');
    await tick();
    expect(h.sandboxes[0]?.received).toEqual([]);
    expect(h.toClient[0]).toMatchObject({
      id: 7,
      error: { code: -32001, data: { rule: 'path.outside-root' } },
    });
    expect(h.toClient[1]).toMatchObject({
      id: null,
      error: { code: -32001, data: { rule: 'protocol.invalid-message' } },
    });
    expect(h.events.filter((e) => e.event === 'verdict')).toHaveLength(2);
    h.clientIn.end();
    expect(await h.done).toBe(0);
  });

  it('kills the sandbox on a server breach, answers in-flight requests with -32002 and exits 70', async () => {
    const h = harness();
    await tick();
    h.send(call(1, 'slow', {}));
    h.send(call(2, 'slow', {}));
    await tick();
    h.sandboxes[0]?.send({ jsonrpc: '2.0', id: 99, result: {} });
    expect(await h.done).toBe(70);
    expect(h.sandboxes[0]?.stopped).toBe(true);
    const errors = h.toClient.map((m) => [m.id, (m.error as { code: number; data: { rule: string } }).code]);
    expect(errors).toEqual([
      [1, -32002],
      [2, -32002],
    ]);
    expect(h.toClient[0]).toMatchObject({ error: { data: { rule: 'protocol.unknown-id' } } });
  });

  // Issue 15 item 7 changed this: a non-JSON line is dropped (tests in stray-and-startup.test.ts), and a
  // server that exits before answering initialize is a start-up failure (exit 71), not a breach.
  it('treats a server exit as sandbox.exited, after start-up a breach (70)', async () => {
    const crash = harness();
    await tick();
    crash.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: {} });
    await tick();
    crash.sandboxes[0]?.send({
      jsonrpc: '2.0',
      id: 0,
      result: { protocolVersion: '2025-06-18', capabilities: {} },
    });
    crash.send(call(5, 'x', {}));
    await tick();
    crash.sandboxes[0]?.crash();
    expect(await crash.done).toBe(70);
    expect(crash.toClient[1]).toMatchObject({
      id: 5,
      error: { code: -32002, data: { rule: 'sandbox.exited' } },
    });
  });

  it('restarts on the next request and replays initialize when onServerBreach is restart', async () => {
    const h = harness({ onServerBreach: 'restart' });
    await tick();
    const init = {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
    };
    h.send(init);
    await tick();
    h.sandboxes[0]?.send({
      jsonrpc: '2.0',
      id: 0,
      result: { protocolVersion: '2025-06-18', capabilities: {} },
    });
    h.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await tick();
    h.sandboxes[0]?.crash();
    await tick();
    h.send(call(3, 'echo', { text: 'hi' }));
    await tick(50);
    const second = h.sandboxes[1];
    expect(second).toBeDefined();
    expect(second?.received[0]).toMatchObject({ method: 'initialize', id: 'mcp-warden-replay-2' });
    second?.send({
      jsonrpc: '2.0',
      id: 'mcp-warden-replay-2',
      result: { protocolVersion: '2025-06-18', capabilities: {} },
    });
    await tick();
    expect(second?.received.slice(1)).toEqual([
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      call(3, 'echo', { text: 'hi' }),
    ]);
    second?.send({ jsonrpc: '2.0', id: 3, result: { content: [] } });
    await tick();
    expect(h.toClient.at(-1)).toEqual({ jsonrpc: '2.0', id: 3, result: { content: [] } });
    expect(h.toClient.some((m) => m.id === 'mcp-warden-replay-2')).toBe(false);
    h.clientIn.end();
    expect(await h.done).toBe(0);
  });

  // Regression: while the replacement sandbox was starting, a second client message was written to
  // no sandbox at all and lost (the client waited for its answer forever).
  it('queues every message that arrives while a restart is under way', async () => {
    const h = harness({ onServerBreach: 'restart' });
    await tick();
    h.sandboxes[0]?.crash();
    await tick();
    h.send(call(1, 'echo', { text: 'a' }));
    h.send(call(2, 'echo', { text: 'b' }));
    h.send(call(3, 'echo', { text: 'c' }));
    await tick(50);
    expect(h.sandboxes[1]?.received).toEqual([
      call(1, 'echo', { text: 'a' }),
      call(2, 'echo', { text: 'b' }),
      call(3, 'echo', { text: 'c' }),
    ]);
    h.clientIn.end();
    expect(await h.done).toBe(0);
  });

  const INIT = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
  };
  const INIT_RESULT = { protocolVersion: '2025-06-18', capabilities: {} };

  /** A restart session whose first sandbox completed the handshake and then crashed. */
  async function crashedAfterHandshake(profile: Parameters<typeof harness>[0] = {}) {
    const h = harness({ onServerBreach: 'restart', ...profile });
    await tick();
    h.send(INIT);
    await tick();
    h.sandboxes[0]?.send({ jsonrpc: '2.0', id: 0, result: INIT_RESULT });
    h.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await tick();
    h.sandboxes[0]?.crash();
    await tick();
    return h;
  }

  /**
   * The next request starts a third sandbox, which gets the replayed handshake and then that request
   * alone (nothing held for the dead one), and serves it.
   */
  async function expectNextRestartServes(h: Awaited<ReturnType<typeof crashedAfterHandshake>>) {
    h.send(call(4, 'echo', { text: 'next' }));
    await tick(50);
    const third = h.sandboxes[2];
    third?.send({ jsonrpc: '2.0', id: 'mcp-warden-replay-3', result: INIT_RESULT });
    await tick();
    expect(third?.received.slice(1)).toEqual([
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      call(4, 'echo', { text: 'next' }),
    ]);
    third?.send({ jsonrpc: '2.0', id: 4, result: { content: [] } });
    await tick();
    expect(h.toClient.at(-1)).toEqual({ jsonrpc: '2.0', id: 4, result: { content: [] } });
    expect(third?.stopped).toBe(false);
  }

  // Regression: the requests held while a restarted sandbox answered the replayed initialize were
  // answered -32002 when it died, but stayed held: the next sandbox got them anyway, and its answers to
  // ids the client had been told were terminated killed it in turn.
  it('drops the held requests when a restarted sandbox dies before its handshake, and answers them once', async () => {
    const h = await crashedAfterHandshake();
    h.send(call(3, 'echo', { text: 'held' }));
    await tick(50);
    expect(h.sandboxes[1]?.received[0]).toMatchObject({ id: 'mcp-warden-replay-2' });
    h.sandboxes[1]?.crash();
    await tick();
    expect(h.toClient.filter((m) => m.id === 3)).toEqual([
      expect.objectContaining({ error: expect.objectContaining({ code: -32002 }) }),
    ]);
    await expectNextRestartServes(h);
    h.clientIn.end();
    expect(await h.done).toBe(0);
  });

  // Regression: a restarted server that never answered the replayed initialize got the client an error
  // for the warden's own replay id, and every later request was held for good (each timed out).
  it('stops a restarted sandbox that does not answer the replayed initialize in time, and restarts on demand', async () => {
    const h = await crashedAfterHandshake({ policy: { limits: { requestTimeoutMs: 100 } } });
    h.send(call(3, 'echo', { text: 'held' }));
    await tick(250);
    expect(h.toClient.some((m) => String(m.id).startsWith('mcp-warden-'))).toBe(false);
    // Answered once: it was tracked before the replay, so its own deadline passes first (-32001).
    expect(h.toClient.filter((m) => m.id === 3)).toEqual([
      expect.objectContaining({ error: expect.objectContaining({ code: -32001 }) }),
    ]);
    expect(h.sandboxes[1]?.stopped).toBe(true);
    expect(h.events).toContainEqual(
      expect.objectContaining({ event: 'verdict', direction: 'server', rule: 'request.timeout' }),
    );
    await expectNextRestartServes(h);
    h.clientIn.end();
    expect(await h.done).toBe(0);
  });

  it('answers a request that exceeds its wall-clock limit, cancels it, and drops the late answer', async () => {
    const h = harness({ policy: { limits: { requestTimeoutMs: 100 } } });
    await tick();
    h.send(call(4, 'hang', {}));
    await tick(200);
    expect(h.toClient[0]).toMatchObject({
      id: 4,
      error: { code: -32001, data: { rule: 'request.timeout' } },
    });
    expect(h.sandboxes[0]?.received[1]).toMatchObject({
      method: 'notifications/cancelled',
      params: { requestId: 4 },
    });
    h.sandboxes[0]?.send({ jsonrpc: '2.0', id: 4, result: {} });
    await tick();
    expect(h.toClient).toHaveLength(1);
    expect(h.sandboxes[0]?.stopped).toBe(false);
    h.clientIn.end();
    expect(await h.done).toBe(0);
  });

  // One timer serves every request's timeout: each request must still expire at its own deadline, not
  // at the deadline of an older request that was answered meanwhile, and never early.
  it('times every request from its own start, with several in flight', async () => {
    const h = harness({ policy: { limits: { requestTimeoutMs: 150 } } });
    await tick();
    h.send(call(1, 'hang', {}));
    await tick(80);
    h.send(call(2, 'hang', {}));
    await tick(20);
    h.sandboxes[0]?.send({ jsonrpc: '2.0', id: 1, result: {} });
    await tick(70); // ~170 ms after request 1, ~90 ms after request 2
    expect(h.toClient).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
    await tick(120); // ~210 ms after request 2
    expect(h.toClient[1]).toMatchObject({ id: 2, error: { data: { rule: 'request.timeout' } } });
    h.send(call(3, 'hang', {}));
    await tick(200);
    expect(h.toClient[2]).toMatchObject({ id: 3, error: { data: { rule: 'request.timeout' } } });
    h.clientIn.end();
    expect(await h.done).toBe(0);
  });

  // Issue 20 item 10: each list_changed used to queue one more re-list (2 million: 1 GB in the warden).
  it('coalesces tools/list_changed: one re-list in flight, and one more after it however many notices came', async () => {
    const h = harness();
    await tick();
    const changed = `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' })}\n`;
    h.sandboxes[0]?.send(changed.repeat(1000));
    await tick();
    const relists = () => h.sandboxes[0]?.received.filter((m) => m.method === 'tools/list') ?? [];
    expect(relists().map((m) => m.id)).toEqual(['mcp-warden-relist-1']);
    h.sandboxes[0]?.send({ jsonrpc: '2.0', id: 'mcp-warden-relist-1', result: { tools: [] } });
    await tick();
    expect(relists().map((m) => m.id)).toEqual(['mcp-warden-relist-1', 'mcp-warden-relist-2']);
    h.sandboxes[0]?.send({ jsonrpc: '2.0', id: 'mcp-warden-relist-2', result: { tools: [] } });
    h.sandboxes[0]?.send(changed);
    await tick();
    expect(relists()).toHaveLength(3);
    h.sandboxes[0]?.send({ jsonrpc: '2.0', id: 'mcp-warden-relist-3', error: { code: -1, message: 'x' } });
    await tick();
    expect(relists()).toHaveLength(3); // no notice came meanwhile: nothing more
    // Every notice still reaches the client; the warden's own answers never do.
    expect(h.toClient.filter((m) => m.method === 'notifications/tools/list_changed')).toHaveLength(1001);
    expect(h.toClient.some((m) => typeof m.id === 'string')).toBe(false);
    h.clientIn.end();
    expect(await h.done).toBe(0);
  });

  it('a server that stops reading gets at most one re-list and no cancellations piling up', async () => {
    const h = harness({ policy: { limits: { requestTimeoutMs: 100 } } });
    await tick();
    const sandbox = h.sandboxes[0];
    sandbox?.stopReading();
    const changed = `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' })}\n`;
    for (let i = 0; i < 20; i++) sandbox?.send(changed.repeat(5000));
    for (let i = 0; i < 50; i++) h.send(call(100 + i, 'hang', { pad: 'x'.repeat(1000) }));
    await tick(300); // every client request timed out meanwhile
    expect(
      h.toClient.filter((m) => (m.error as { data?: { rule?: string } })?.data?.rule === 'request.timeout')
        .length,
    ).toBeGreaterThan(0);
    // What waits for the server: at most the client lines taken before back-pressure paused the client,
    // one re-list, and no flood of cancellations.
    expect(sandbox?.stdin.writableLength ?? 0).toBeLessThan(128 * 1024);
    expect(sandbox?.stopped).toBe(false);
    h.clientIn.end();
    await h.session.end('test over', 0, false);
  });

  it('kills a server that lets more than its bound pile up in its stdin (rate.exceeded)', async () => {
    const h = harness({ policy: { limits: { clientMessageBytes: 1024 } } });
    await tick();
    h.sandboxes[0]?.stopReading();
    // One chunk of many client lines: all are framed before back-pressure can pause the client.
    const line = `${JSON.stringify(call(1, 'echo', { text: 'y'.repeat(900) }))}\n`;
    const lines = Array.from({ length: 1300 }, (_, i) => line.replace('"id":1', `"id":${i + 1}`)).join('');
    h.send(lines);
    expect(await h.done).toBe(70);
    const verdict = h.events.find((e) => e.event === 'verdict' && e.action === 'kill');
    expect(verdict).toMatchObject({ rule: 'rate.exceeded' });
    expect(h.toClient[0]).toMatchObject({ error: { code: -32002, data: { rule: 'rate.exceeded' } } });
  });

  it('closes the session in the audit log when the sandbox cannot be started', async () => {
    const events: AuditEvent[] = [];
    const session = new Session({
      sessionId: 'x',
      profile: ProfileSchema.parse({ name: 't', backend: 'none' }),
      backend: {
        name: 'none',
        probe: () => Promise.resolve({ available: true }),
        plan: () => plan,
        launch: () => Promise.reject(new Error('cannot start')),
      },
      plan,
      command: ['server'],
      policy: {
        policy: ProfileSchema.parse({ name: 't', backend: 'none' }).policy,
        roots: [],
        home: '/',
        realpath: () => undefined,
        readlink: () => undefined,
      },
      audit: { write: (e: AuditEvent) => events.push(e) } as unknown as AuditLog,
      logger: pino({ level: 'silent' }),
      clientIn: new PassThrough(),
      clientOut: new PassThrough(),
      serverLog: new PassThrough(),
    });
    await expect(session.run()).rejects.toThrow('cannot start');
    expect(events.map((e) => e.event)).toEqual(['session.start', 'session.end']);
  });

  it('never crashes and never forwards a line that fails to parse, whatever the client sends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.json(),
            fc.jsonValue().map((v) => JSON.stringify(v)),
          ),
        ),
        async (lines) => {
          const h = harness();
          await tick(1);
          for (const line of lines) h.send(`${line.replace(/\n/g, ' ')}\n`);
          await tick(5);
          for (const forwarded of h.sandboxes[0]?.received ?? []) {
            expect(forwarded).toMatchObject({ jsonrpc: '2.0' });
          }
          h.clientIn.end();
          expect(await h.done).toBe(0);
        },
      ),
      { seed: 7, numRuns: 60 },
    );
  });
});
