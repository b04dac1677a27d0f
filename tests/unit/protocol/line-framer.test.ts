import { describe, it, expect } from 'vitest';
import { LineFramer } from '../../../src/protocol/line-framer.ts';
import type { JsonRpcId } from '../../../src/protocol/json-rpc.ts';

type Event =
  | { type: 'line'; text: string }
  | { type: 'start'; bytesSoFar: number }
  | { type: 'end'; bytes: number; id: JsonRpcId | undefined };

function collect(maxBytes: number): { framer: LineFramer; events: Event[] } {
  const events: Event[] = [];
  const framer = new LineFramer(maxBytes, {
    onLine: (line) => events.push({ type: 'line', text: line.toString('utf8') }),
    onOversizeStart: ({ bytesSoFar }) => events.push({ type: 'start', bytesSoFar }),
    onOversizeEnd: ({ bytes, id }) => events.push({ type: 'end', bytes, id }),
  });
  return { framer, events };
}

const lines = (events: Event[]): string[] => events.flatMap((e) => (e.type === 'line' ? [e.text] : []));

describe('LineFramer', () => {
  it('emits many lines from one chunk', () => {
    const { framer, events } = collect(100);
    framer.push(Buffer.from('{"a":1}\n{"b":2}\n\n{"c":3}\n'));
    expect(lines(events)).toEqual(['{"a":1}', '{"b":2}', '', '{"c":3}']);
    expect(framer.end()).toEqual({ trailingBytes: 0 });
  });

  it('joins a line split into 1-byte chunks', () => {
    const { framer, events } = collect(100);
    for (const byte of Buffer.from('{"héllo":"wörld"}\n{"x":1}\n')) framer.push(Buffer.from([byte]));
    expect(lines(events)).toEqual(['{"héllo":"wörld"}', '{"x":1}']);
  });

  it('keeps a trailing \\r for \\r\\n endings', () => {
    const { framer, events } = collect(100);
    framer.push(Buffer.from('{"a":1}\r\n{"b":'));
    framer.push(Buffer.from('2}\r\n'));
    expect(lines(events)).toEqual(['{"a":1}\r', '{"b":2}\r']);
  });

  it('does not emit an unterminated final line and reports its size', () => {
    const { framer, events } = collect(100);
    framer.push(Buffer.from('{"a":1}\n{"b"'));
    framer.push(Buffer.from(':2}'));
    expect(lines(events)).toEqual(['{"a":1}']);
    expect(framer.bufferedBytes).toBe(7);
    expect(framer.end()).toEqual({ trailingBytes: 7 });
    expect(framer.bufferedBytes).toBe(0);
  });

  it.each([
    { name: 'exactly maxBytes is allowed', line: 'x'.repeat(10), oversize: false },
    { name: 'maxBytes + 1 is oversize', line: 'x'.repeat(11), oversize: true },
    { name: 'a \\r counts toward the cap', line: `${'x'.repeat(10)}\r`, oversize: true },
  ])('cap is inclusive: $name', ({ line, oversize }) => {
    for (const split of [1, 5, line.length]) {
      const { framer, events } = collect(10);
      const bytes = Buffer.from(`${line}\nok\n`);
      for (let i = 0; i < bytes.length; i += split) framer.push(bytes.subarray(i, i + split));
      expect(lines(events)).toEqual(oversize ? ['ok'] : [line, 'ok']);
      expect(events.some((e) => e.type === 'start')).toBe(oversize);
    }
  });

  it('reports an oversize line once, with its id, and resumes after its newline', () => {
    const { framer, events } = collect(20);
    const big = JSON.stringify({
      method: 'tools/call',
      params: { blob: 'y'.repeat(100) },
      jsonrpc: '2.0',
      id: 5,
    });
    framer.push(Buffer.from(`${big.slice(0, 50)}`));
    framer.push(Buffer.from(`${big.slice(50)}\n{"a":1}\n`));
    expect(events).toEqual([
      { type: 'start', bytesSoFar: 50 },
      { type: 'end', bytes: big.length, id: 5 },
      { type: 'line', text: '{"a":1}' },
    ]);
  });

  it('reports start and end together when the whole oversize line arrives in one chunk', () => {
    const { framer, events } = collect(5);
    framer.push(Buffer.from('{"id":"abc","x":1}\n'));
    expect(events).toEqual([
      { type: 'start', bytesSoFar: 18 },
      { type: 'end', bytes: 18, id: 'abc' },
    ]);
  });

  it('counts discarded bytes of an unterminated oversize line at end()', () => {
    const { framer, events } = collect(5);
    framer.push(Buffer.from('0123456789'));
    framer.push(Buffer.from('abc'));
    expect(events).toEqual([{ type: 'start', bytesSoFar: 10 }]);
    expect(framer.end()).toEqual({ trailingBytes: 13 });
  });

  it('detects a 40 MB line without a newline after ~maxBytes and holds O(1) memory', () => {
    const cap = 1024 * 1024;
    const chunkSize = 64 * 1024;
    const total = 40 * 1024 * 1024;
    const { framer, events } = collect(cap);
    // Shaped like an SDK request whose id comes after huge params, so the sniffer does real work.
    const head = Buffer.from('{"method":"tools/call","params":{"data":"');
    const tail = Buffer.from('"},"jsonrpc":"2.0","id":77}\n');
    const chunk = Buffer.alloc(chunkSize, 'a'.charCodeAt(0));
    framer.push(head);
    let pushed = head.length;
    let startedAt: number | undefined;
    let maxBuffered = 0;
    while (pushed < total) {
      framer.push(chunk);
      pushed += chunkSize;
      maxBuffered = Math.max(maxBuffered, framer.bufferedBytes);
      if (startedAt === undefined && events.length > 0) startedAt = pushed;
    }
    expect(startedAt).toBeDefined();
    expect(startedAt).toBeLessThanOrEqual(cap + chunkSize);
    expect(maxBuffered).toBeLessThanOrEqual(cap + chunkSize);
    expect(framer.bufferedBytes).toBe(0);
    expect(events).toEqual([{ type: 'start', bytesSoFar: startedAt }]);
    framer.push(tail);
    expect(events[1]).toEqual({ type: 'end', bytes: pushed + tail.length - 1, id: 77 });
    expect(framer.end()).toEqual({ trailingBytes: 0 });
  });

  it('rejects a negative or fractional cap', () => {
    const events = { onLine: () => {}, onOversizeStart: () => {}, onOversizeEnd: () => {} };
    expect(() => new LineFramer(-1, events)).toThrow(RangeError);
    expect(() => new LineFramer(1.5, events)).toThrow(RangeError);
  });
});
