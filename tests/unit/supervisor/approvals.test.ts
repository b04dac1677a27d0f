// policy.approve in the session loop, against an in-memory sandbox: the warden holds a matching call,
// asks the client (elicitation/create under its own id) and forwards or declines on the answer. The
// real SDK client, real servers, `run` and the gateway are in tests/integration/approvals*.test.ts.
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/events.ts';
import type { ProfileInput } from '../../../src/config/profile-schema.ts';
import { WARDEN_CLIENT_REQUEST_PREFIX } from '../../../src/protocol/warden-ids.ts';
import { call, harness, tick } from './session-harness.ts';

type Message = Record<string, unknown> & { id?: unknown; method?: string; params?: Record<string, unknown> };

const ELICITING = { capabilities: { elicitation: {} } };

/** A session past its handshake; the client declared `init` in initialize. */
async function started(policy: ProfileInput['policy'], init: Record<string, unknown> = ELICITING) {
  const h = harness({ policy });
  await tick();
  h.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', ...init } });
  await tick();
  h.sandboxes[0]?.send({
    jsonrpc: '2.0',
    id: 0,
    result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'fake' } },
  });
  h.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  await tick();
  h.toClient.length = 0;
  const server = h.sandboxes[0]!;
  server.received.length = 0;
  const calls = (): Message[] => server.received.filter((m) => m.method === 'tools/call');
  const asks = (): Message[] => (h.toClient as Message[]).filter((m) => m.method === 'elicitation/create');
  const answer = (id: number): Message | undefined =>
    (h.toClient as Message[]).find((m) => m.id === id && ('result' in m || 'error' in m));
  return { ...h, server, calls, asks, answer };
}

const approvals = (events: readonly AuditEvent[]) =>
  events.flatMap((e) => (e.event === 'approval' ? [e.decision] : []));

describe('approvals in the session', () => {
  it('holds a matching call, asks the client under its own id, and forwards it on "allow once"', async () => {
    const h = await started({ approve: ['delete_*'] });
    h.send(call(1, 'delete_file', { path: 'x.txt', token: 'ghp_' + 'a'.repeat(36) }));
    await tick();
    expect(h.calls()).toEqual([]);
    const [ask] = h.asks();
    expect(String(ask?.id)).toMatch(new RegExp(`^${WARDEN_CLIENT_REQUEST_PREFIX}[0-9a-f]{12}-1$`));
    const params = ask?.params as { message: string; requestedSchema: Record<string, unknown> };
    expect(params.message).toContain('Tool: delete_file');
    expect(params.message).toContain('path: "x.txt"');
    expect(params.message).toContain('it calls itself "fake"');
    expect(params.message).not.toContain('a'.repeat(36)); // the token is redacted
    expect(params.message).toContain('[REDACTED by mcp-warden');
    expect(params.requestedSchema).toEqual({
      type: 'object',
      properties: {
        decision: expect.objectContaining({
          type: 'string',
          enum: ['allow once', 'allow for this session', 'deny'],
        }) as unknown,
      },
      required: ['decision'],
    });
    h.send({
      jsonrpc: '2.0',
      id: ask?.id,
      result: { action: 'accept', content: { decision: 'allow once' } },
    });
    await tick();
    expect(h.calls()).toMatchObject([{ id: 1, params: { name: 'delete_file' } }]);
    // The client's answer to the warden's question never reached the server.
    expect(h.server.received.some((m) => m.id === ask?.id)).toBe(false);
    h.server.send({ jsonrpc: '2.0', id: 1, result: { content: [] } });
    await tick();
    expect(h.answer(1)).toMatchObject({ result: { content: [] } });
    // Allowed once: the next call is asked again.
    h.send(call(2, 'delete_file', { path: 'y.txt' }));
    await tick();
    expect(h.asks()).toHaveLength(2);
    expect(approvals(h.events)).toEqual(['requested', 'allowed-once', 'requested']);
    h.clientIn.end();
    expect(await h.done).toBe(0);
    // The call still held when the session ended was answered, not left hanging.
    expect(h.answer(2)).toMatchObject({ error: { code: -32002 } });
  });

  it('remembers "allow for this session" for that tool only', async () => {
    const h = await started({ approve: ['delete_*'] });
    h.send(call(1, 'delete_file', {}));
    await tick();
    const id = h.asks()[0]?.id;
    h.send({
      jsonrpc: '2.0',
      id,
      result: { action: 'accept', content: { decision: 'allow for this session' } },
    });
    h.send(call(2, 'delete_file', {}));
    h.send(call(3, 'delete_dir', {}));
    await tick();
    expect(h.calls().map((m) => m.id)).toEqual([1, 2]);
    expect(h.asks()).toHaveLength(2); // delete_dir is a different tool: asked
    expect(approvals(h.events)).toEqual(['requested', 'allowed-session', 'allowed-by-session', 'requested']);
    h.clientIn.end();
    await h.done;
  });

  it.each([
    ['decline', { action: 'decline' }, 'declined'],
    ['cancel', { action: 'cancel' }, 'cancelled'],
    ['accept with "deny"', { action: 'accept', content: { decision: 'deny' } }, 'declined'],
    ['accept without a choice', { action: 'accept' }, 'declined'],
  ])('answers -32001 approval.declined on %s and never forwards', async (_name, result, decision) => {
    const h = await started({ approve: ['delete_*'] });
    h.send(call(1, 'delete_file', {}));
    await tick();
    h.send({ jsonrpc: '2.0', id: h.asks()[0]?.id, result });
    await tick();
    expect(h.answer(1)).toMatchObject({ error: { code: -32001, data: { rule: 'approval.declined' } } });
    expect(h.calls()).toEqual([]);
    expect(approvals(h.events)).toEqual(['requested', decision]);
    expect(h.events).toContainEqual(
      expect.objectContaining({
        event: 'verdict',
        action: 'deny',
        rule: 'approval.declined',
        tool: 'delete_file',
      }),
    );
    h.clientIn.end();
    await h.done;
  });

  it('declines on an error answer from the client', async () => {
    const h = await started({ approve: ['delete_*'] });
    h.send(call(1, 'delete_file', {}));
    await tick();
    h.send({ jsonrpc: '2.0', id: h.asks()[0]?.id, error: { code: -32601, message: 'no UI' } });
    await tick();
    expect(h.answer(1)).toMatchObject({ error: { code: -32001, data: { rule: 'approval.declined' } } });
    expect(approvals(h.events)).toEqual(['requested', 'failed']);
    h.clientIn.end();
    await h.done;
  });

  it('declines after approveTimeoutMs, withdraws the question, and drops the late answer', async () => {
    const h = await started({ approve: ['delete_*'], approveTimeoutMs: 150 });
    h.send(call(1, 'delete_file', {}));
    await tick();
    const id = h.asks()[0]?.id;
    await tick(250);
    expect(h.answer(1)).toMatchObject({ error: { code: -32001, data: { rule: 'approval.declined' } } });
    expect((h.answer(1)?.error as { message: string }).message).toContain('150 ms');
    expect(h.toClient).toContainEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: id, reason: 'the approval timed out' },
    });
    h.send({ jsonrpc: '2.0', id, result: { action: 'accept', content: { decision: 'allow once' } } });
    await tick();
    expect(h.calls()).toEqual([]);
    expect(h.server.received).toEqual([]); // nor did the late answer go to the server
    expect(approvals(h.events)).toEqual(['requested', 'timed-out']);
    h.clientIn.end();
    await h.done;
  });

  it('denies with how to approve when the client did not declare elicitation; fallback "allow" forwards', async () => {
    const h = await started({ approve: ['delete_*'] }, { capabilities: {} });
    h.send(call(1, 'delete_file', {}));
    await tick();
    const error = h.answer(1)?.error as { code: number; message: string; data: { rule: string } };
    expect(error).toMatchObject({ code: -32001, data: { rule: 'approval.declined' } });
    expect(error.message).toContain('elicitation');
    expect(error.message).toContain('approveFallback');
    expect(h.asks()).toEqual([]);
    expect(h.calls()).toEqual([]);
    h.clientIn.end();
    await h.done;

    const open = await started({ approve: ['delete_*'], approveFallback: 'allow' }, { capabilities: {} });
    open.send(call(1, 'delete_file', {}));
    await tick();
    expect(open.calls().map((m) => m.id)).toEqual([1]);
    expect(approvals(open.events)).toEqual(['allowed-by-fallback']);
    open.clientIn.end();
    await open.done;
  });

  it('leaves calls no entry matches alone, and asks nothing when approve is empty', async () => {
    const h = await started({ approve: ['delete_*', { tool: 'write_file', paths: ['/nowhere/**'] }] });
    h.send(call(1, 'read_file', {}));
    h.send(call(2, 'write_file', { path: 'a.txt' }));
    await tick();
    expect(h.calls().map((m) => m.id)).toEqual([1, 2]);
    expect(h.asks()).toEqual([]);
    h.clientIn.end();
    await h.done;
  });

  it('refuses a request that reuses the id of a held call, and withdraws the question when the client cancels', async () => {
    const h = await started({ approve: ['delete_*'] });
    h.send(call(1, 'delete_file', {}));
    await tick();
    h.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    await tick();
    expect(h.answer(1)).toMatchObject({ error: { code: -32001, data: { rule: 'protocol.duplicate-id' } } });
    h.toClient.length = 0;
    h.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } });
    await tick();
    expect(h.toClient).toMatchObject([{ method: 'notifications/cancelled' }]);
    expect(h.server.received).toEqual([]); // the server never knew of the call, nor of its cancel
    expect(approvals(h.events)).toEqual(['requested', 'cancelled']);
    h.clientIn.end();
    await h.done;
  });

  it('sends client answers to ids it did not issue to the server as before', async () => {
    const h = await started({
      approve: ['delete_*'],
      methods: { serverRequests: ['ping', 'elicitation/create'] },
    });
    // The server's own elicitation: the client's answer is the server's.
    h.server.send({ jsonrpc: '2.0', id: 5, method: 'elicitation/create', params: { message: 'hi' } });
    await tick();
    h.send({ jsonrpc: '2.0', id: 5, result: { action: 'accept', content: { decision: 'allow once' } } });
    await tick();
    expect(h.server.received).toEqual([
      { jsonrpc: '2.0', id: 5, result: { action: 'accept', content: { decision: 'allow once' } } },
    ]);
    h.clientIn.end();
    await h.done;
  });

  it('kills a server whose request takes an id from the reserved approval space', async () => {
    const h = await started({ approve: ['delete_*'] });
    h.server.send({ jsonrpc: '2.0', id: `${WARDEN_CLIENT_REQUEST_PREFIX}000000000000-1`, method: 'ping' });
    expect(await h.done).toBe(70);
    expect(h.events).toContainEqual(
      expect.objectContaining({ event: 'verdict', action: 'kill', rule: 'protocol.duplicate-id' }),
    );
  });
});
