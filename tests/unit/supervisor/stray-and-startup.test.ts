// Issue 15, items 7 and 8: a stray non-JSON line on the server's stdout is dropped (not a breach) up to
// a flood limit, and a server that dies before answering initialize is reported as a start-up failure
// (its exit code, last stderr lines and a hint), never as a breach.
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/events.ts';
import { call, harness, tick } from './session-harness.ts';

const INIT = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
};
const INIT_RESULT = { jsonrpc: '2.0', id: 0, result: { protocolVersion: '2025-06-18', capabilities: {} } };

const strayEvents = (events: AuditEvent[]) => events.filter((e) => e.event === 'protocol.stray-output');
const kills = (events: AuditEvent[]) => events.filter((e) => e.event === 'verdict' && e.action === 'kill');

describe('stray output on the server stdout', () => {
  it('drops a non-JSON line, audits its length without content, and the session goes on', async () => {
    const h = harness();
    await tick();
    h.send(call(1, 'echo', {}));
    await tick();
    h.sandboxes[0]?.send('Server listening on stdio secret-banner\n');
    h.sandboxes[0]?.send({ jsonrpc: '2.0', id: 1, result: { content: [] } });
    await tick();
    expect(h.toClient).toEqual([{ jsonrpc: '2.0', id: 1, result: { content: [] } }]);
    expect(kills(h.events)).toEqual([]);
    const stray = strayEvents(h.events);
    expect(stray).toEqual([
      expect.objectContaining({ lines: 1, bytes: 'Server listening on stdio secret-banner'.length }),
    ]);
    expect(JSON.stringify(h.events)).not.toContain('secret-banner');
    expect(h.log()).not.toContain('secret-banner');
    h.clientIn.end();
    expect(await h.done).toBe(0);
    expect(h.sandboxes[0]?.stopped).toBe(true);
  });

  it('audits a burst of stray lines once, with its line and byte counts', async () => {
    const h = harness();
    await tick();
    h.sandboxes[0]?.send('one\ntwo\nthree\n');
    await tick();
    h.sandboxes[0]?.send({
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { level: 'info', data: 'x' },
    });
    h.sandboxes[0]?.send('four\n');
    await tick();
    h.clientIn.end();
    expect(await h.done).toBe(0);
    expect(strayEvents(h.events)).toEqual([
      expect.objectContaining({ lines: 3, bytes: 11, totalLines: 3 }),
      expect.objectContaining({ lines: 1, bytes: 4, totalLines: 4, totalBytes: 15 }),
    ]);
  });

  it('kills the sandbox past the flood limit (protocol.stray-output, exit 70)', async () => {
    const h = harness({ policy: { strayOutput: { lines: 5 } } });
    await tick();
    h.send(call(1, 'echo', {}));
    await tick();
    h.sandboxes[0]?.send('x\n'.repeat(6));
    expect(await h.done).toBe(70);
    expect(kills(h.events)).toEqual([expect.objectContaining({ rule: 'protocol.stray-output' })]);
    expect(h.toClient[0]).toMatchObject({
      id: 1,
      error: { code: -32002, data: { rule: 'protocol.stray-output' } },
    });
  });

  it('counts bytes too: one MiB of stray output by default', async () => {
    const h = harness();
    await tick();
    h.sandboxes[0]?.send(`${'y'.repeat(600 * 1024)}\n`);
    await tick();
    expect(kills(h.events)).toEqual([]);
    h.sandboxes[0]?.send(`${'y'.repeat(600 * 1024)}\n`);
    expect(await h.done).toBe(70);
    expect(kills(h.events)).toEqual([expect.objectContaining({ rule: 'protocol.stray-output' })]);
  });

  it('with strictProtocol, any non-JSON line is a breach (protocol.invalid-json)', async () => {
    const h = harness({ policy: { strayOutput: { strict: true } } });
    await tick();
    h.sandboxes[0]?.send('hello\n');
    expect(await h.done).toBe(70);
    expect(kills(h.events)).toEqual([expect.objectContaining({ rule: 'protocol.invalid-json' })]);
  });

  it('a malformed message, a batch, a bare value and invalid UTF-8 stay breaches', async () => {
    const lines: Array<[string | Buffer, string]> = [
      [
        '{"jsonrpc":"2.0","method":"notifications/message","params":{}}{"jsonrpc":"2.0"}\n',
        'protocol.invalid-json',
      ],
      ['{"jsonrpc":"2.0","id":1,"result":\n', 'protocol.invalid-json'],
      ['[{"jsonrpc":"2.0","method":"notifications/message"}]\n', 'protocol.invalid-message'],
      ['42\n', 'protocol.invalid-message'],
      [Buffer.from([0x68, 0xff, 0xfe, 0x0a]), 'protocol.invalid-json'],
      [Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0x69, 0x0a]), 'protocol.invalid-json'],
    ];
    for (const [line, rule] of lines) {
      const h = harness();
      await tick();
      h.sandboxes[0]?.stdout.write(line);
      expect(await h.done).toBe(70);
      expect(kills(h.events)).toEqual([expect.objectContaining({ rule })]);
      expect(strayEvents(h.events)).toEqual([]);
    }
  });
});

describe('start-up failures', () => {
  it('a server that exits before answering initialize: message, last stderr lines, hint, exit 71', async () => {
    const h = harness();
    await tick();
    h.send(INIT);
    await tick();
    const stderr = [
      'Traceback (most recent call last):',
      '  File "/home/u/.venvs/mcp/bin/mcp-server-time", line 5, in <module>',
      '    from mcp_server_time import main',
      "ModuleNotFoundError: No module named 'mcp_server_time'",
      '',
    ].join('\n');
    h.sandboxes[0]?.crash(3, stderr);
    expect(await h.done).toBe(71);
    expect(h.toClient[0]).toMatchObject({ id: 0, error: { code: -32002, data: { rule: 'sandbox.exited' } } });
    expect(h.serverLog()).toContain('server exited during start-up with code 3');
    expect(h.serverLog()).toContain("  | ModuleNotFoundError: No module named 'mcp_server_time'");
    expect(h.serverLog()).toMatch(/hint: .*virtualenv/);
    const failed = h.events.find((e) => e.event === 'sandbox.startup-failed');
    expect(failed).toMatchObject({ code: 3, signal: null });
    expect(failed && 'stderr' in failed ? failed.stderr.at(-1) : undefined).toBe(
      "ModuleNotFoundError: No module named 'mcp_server_time'",
    );
    expect(failed && 'hint' in failed ? failed.hint : '').toMatch(/virtualenv/);
    expect(kills(h.events)).toEqual([]);
    expect(h.events.at(-1)).toMatchObject({ event: 'session.end', exitCode: 71 });
    expect(`${h.serverLog()}${h.log()}${JSON.stringify(h.events)}`).not.toMatch(/breach/i);
  });

  it('keeps only the last lines of a long stderr, and recognises a read-only file system', async () => {
    const h = harness();
    await tick();
    const noise = Array.from({ length: 500 }, (_, i) => `noise line ${i}`).join('\n');
    h.sandboxes[0]?.crash(
      1,
      `${noise}\nError: EROFS: read-only file system, open '/usr/lib/node_modules/x/memory.json'\n`,
    );
    expect(await h.done).toBe(71);
    const failed = h.events.find((e) => e.event === 'sandbox.startup-failed');
    const lines = failed && 'stderr' in failed ? failed.stderr : [];
    expect(lines.length).toBeLessThanOrEqual(20);
    expect(lines.join('\n').length).toBeLessThanOrEqual(4096);
    expect(lines.at(-1)).toMatch(/EROFS/);
    expect(lines).not.toContain('noise line 0');
    expect(h.serverLog()).toMatch(/hint: .*--root/);
  });

  it('a crash after initialize was answered is still sandbox.exited, exit 70', async () => {
    const h = harness();
    await tick();
    h.send(INIT);
    await tick();
    h.sandboxes[0]?.send(INIT_RESULT);
    await tick();
    h.send(call(5, 'x', {}));
    await tick();
    h.sandboxes[0]?.crash(3, 'boom\n');
    expect(await h.done).toBe(70);
    expect(h.toClient[1]).toMatchObject({ id: 5, error: { code: -32002, data: { rule: 'sandbox.exited' } } });
    expect(h.events.some((e) => e.event === 'sandbox.startup-failed')).toBe(false);
  });
});
