import { describe, it, expect } from 'vitest';
import { parseLine } from '../../../src/protocol/parse-line.ts';

const options = { maxDepth: 8 };
const req = '"jsonrpc":"2.0","method":"tools/call"';

function bytes(...parts: (string | number[])[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
}

describe('parseLine', () => {
  it.each([
    { name: 'request', line: `{${req},"id":1,"params":{"a":1}}`, kind: 'request' },
    { name: 'request with \\r (from \\r\\n framing)', line: `{${req},"id":"x"}\r`, kind: 'request' },
    {
      name: 'notification',
      line: '{"jsonrpc":"2.0","method":"notifications/initialized"}',
      kind: 'notification',
    },
    { name: 'result', line: '{"jsonrpc":"2.0","id":2,"result":{}}', kind: 'result' },
    {
      name: 'error with null id',
      line: '{"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"m"}}',
      kind: 'error',
    },
    { name: 'leading and trailing whitespace', line: ` \t{${req},"id":1} \t`, kind: 'request' },
  ])('accepts a $name', ({ line, kind }) => {
    const result = parseLine(Buffer.from(line), options);
    expect(result.ok && result.message.kind).toBe(kind);
  });

  it.each(['', ' ', '\r', ' \t \r'])('reports whitespace-only line %j as empty', (line) => {
    expect(parseLine(Buffer.from(line), options)).toEqual({ ok: false, empty: true });
  });

  const id = undefined;
  it.each([
    {
      name: 'invalid UTF-8',
      line: bytes(`{${req},"id":1,"p":"`, [0xff], '"}'),
      rule: 'invalid-json',
      reason: 'invalid UTF-8',
      id,
    },
    {
      name: 'overlong encoding C0 AF',
      line: bytes(`{${req},"id":1,"p":"`, [0xc0, 0xaf], '"}'),
      rule: 'invalid-json',
      reason: 'invalid UTF-8',
      id,
    },
    {
      name: 'lone surrogate ED A0 80',
      line: bytes(`{${req},"id":1,"p":"`, [0xed, 0xa0, 0x80], '"}'),
      rule: 'invalid-json',
      reason: 'invalid UTF-8',
      id,
    },
    {
      name: 'truncated sequence',
      line: bytes(`{${req},"id":1,"p":"`, [0xe2, 0x82], '"}'),
      rule: 'invalid-json',
      reason: 'invalid UTF-8',
      id,
    },
    {
      name: 'BOM',
      line: bytes([0xef, 0xbb, 0xbf], `{${req},"id":1}`),
      rule: 'invalid-json',
      reason: 'byte order mark',
      id,
    },
    {
      name: 'two objects on one line',
      line: bytes(`{${req},"id":1}{${req},"id":2}`),
      rule: 'invalid-json',
      reason: /^invalid JSON: /,
      id,
    },
    {
      name: 'truncated JSON',
      line: bytes(`{${req},"id":1`),
      rule: 'invalid-json',
      reason: /^invalid JSON: /,
      id,
    },
    {
      name: 'batch',
      line: bytes(`[{${req},"id":1}]`),
      rule: 'invalid-message',
      reason: 'batches (JSON arrays) are not supported by MCP',
      id,
    },
    {
      name: 'empty batch',
      line: bytes('[]'),
      rule: 'invalid-message',
      reason: 'batches (JSON arrays) are not supported by MCP',
      id,
    },
    { name: 'number', line: bytes('42'), rule: 'invalid-message', reason: 'not a JSON object', id },
    { name: 'string', line: bytes('"hi"'), rule: 'invalid-message', reason: 'not a JSON object', id },
    { name: 'null', line: bytes('null'), rule: 'invalid-message', reason: 'not a JSON object', id },
    {
      name: 'duplicate key',
      line: bytes(`{${req},"id":1,"id":2}`),
      rule: 'invalid-message',
      reason: 'duplicate key "id"',
      id: 2,
    },
    {
      name: 'escaped duplicate key',
      line: bytes(`{${req},"id":1,"\\u006dethod":"x"}`),
      rule: 'invalid-message',
      reason: 'duplicate key "method"',
      id: 1,
    },
    {
      name: 'nested duplicate key',
      line: bytes(`{${req},"id":3,"params":{"a":{"b":1,"b":2}}}`),
      rule: 'invalid-message',
      reason: 'duplicate key "b"',
      id: 3,
    },
    {
      name: 'deep nesting',
      line: bytes(`{${req},"id":4,"params":{"a":${'['.repeat(7)}${']'.repeat(7)}}}`),
      rule: 'invalid-message',
      reason: 'nesting deeper than 8',
      id: 4,
    },
    {
      name: 'null id on a request',
      line: bytes(`{${req},"id":null}`),
      rule: 'invalid-message',
      reason: /^id: /,
      id,
    },
    {
      name: 'unsafe integer id',
      line: bytes(`{${req},"id":9007199254740993}`),
      rule: 'invalid-message',
      reason: /^id: /,
      id,
    },
    { name: 'float id', line: bytes(`{${req},"id":1.5}`), rule: 'invalid-message', reason: /^id: /, id },
    {
      name: 'too-long string id',
      line: bytes(`{${req},"id":"${'a'.repeat(257)}"}`),
      rule: 'invalid-message',
      reason: /^id: /,
      id,
    },
    {
      name: 'top-level __proto__ key',
      line: bytes(`{${req},"id":5,"__proto__":{"x":1}}`),
      rule: 'invalid-message',
      reason: 'key "__proto__" is not allowed',
      id: 5,
    },
    {
      name: 'nested __proto__ key',
      line: bytes(`{${req},"id":6,"params":{"__proto__":{"path":"/etc"}}}`),
      rule: 'invalid-message',
      reason: 'key "__proto__" is not allowed',
      id: 6,
    },
    {
      name: 'wrong jsonrpc version',
      line: bytes('{"jsonrpc":"1.0","id":7,"method":"m"}'),
      rule: 'invalid-message',
      reason: /^jsonrpc: /,
      id: 7,
    },
    {
      name: 'no method, result or error',
      line: bytes('{"jsonrpc":"2.0","id":8}'),
      rule: 'invalid-message',
      reason: /no method, result or error/,
      id: 8,
    },
    {
      name: 'unknown top-level key',
      line: bytes(`{${req},"id":9,"extra":1}`),
      rule: 'invalid-message',
      reason: /extra/,
      id: 9,
    },
  ])('rejects $name', ({ line, rule, reason, id: expectedId }) => {
    const result = parseLine(line, options);
    expect(result.ok).toBe(false);
    if (result.ok || result.empty) throw new Error('expected a violation');
    expect(result.rule).toBe(`protocol.${rule}`);
    if (typeof reason === 'string') expect(result.reason).toBe(reason);
    else expect(result.reason).toMatch(reason);
    expect(result.id).toEqual(expectedId);
  });

  it.each([
    {
      name: 'deep and truncated',
      line: `{${req},"id":1,"p":${'['.repeat(20)}`,
      reason: 'nesting deeper than 8',
      id: 1,
    },
    {
      name: 'deep with the id after',
      line: `{${req},"p":${'['.repeat(9)}${']'.repeat(9)},"id":"z"}`,
      reason: 'nesting deeper than 8',
      id: 'z',
    },
    {
      name: 'deep batch',
      line: ` ${'['.repeat(20)}${']'.repeat(20)}`,
      reason: 'batches (JSON arrays) are not supported by MCP',
      id: undefined,
    },
  ])('rejects a too-deep line before parsing it: $name', ({ line, reason, id }) => {
    expect(parseLine(Buffer.from(line), options)).toEqual({
      ok: false,
      rule: 'protocol.invalid-message',
      reason,
      id,
    });
  });

  it('allows nesting of exactly maxDepth', () => {
    // message object (1) > params (2) > 6 arrays = 8
    const line = `{${req},"id":1,"params":{"a":${'['.repeat(6)}${']'.repeat(6)}}}`;
    expect(parseLine(Buffer.from(line), options).ok).toBe(true);
  });

  it('never echoes more than 80 characters of the raw line', () => {
    const result = parseLine(Buffer.from(`{"a":"${'x'.repeat(10_000)}" garbage}`), options);
    expect(result.ok).toBe(false);
    if (result.ok || result.empty) throw new Error('expected a violation');
    expect(result.reason.length).toBeLessThanOrEqual('invalid JSON: '.length + 80);
  });

  it('returns the raw value alongside the validated message', () => {
    const result = parseLine(
      Buffer.from(`{${req},"id":1,"params":{"name":"t","arguments":{"k":[1]}}}`),
      options,
    );
    if (!result.ok) throw new Error('expected ok');
    expect(result.value).toEqual(result.message.message);
    expect(Object.getPrototypeOf(result.value)).toBe(Object.prototype);
  });

  // Regression: V8's JSON.parse message quotes the input, so garbage holding file contents or a secret
  // reached the audit log and the client through the reason.
  it('never echoes the raw content of an unparseable line in the reason', () => {
    for (const text of [
      'AKIAIOSFODNN7EXAMPLE secret=hunter2',
      '{"a": AKIAIOSFODNN7EXAMPLE}',
      '{"k": "hunter2"',
    ]) {
      const result = parseLine(Buffer.from(text), { maxDepth: 64 });
      expect(result.ok).toBe(false);
      const reason = result.ok || result.empty ? '' : result.reason;
      expect(reason).toMatch(/^invalid JSON: /);
      expect(reason).not.toMatch(/AKIA|hunter2/);
    }
  });
});

// Issue 15 item 7: a server's stray console.log is told apart from a malformed message.
describe('parseLine: stray output', () => {
  const failure = (text: string | Buffer) => {
    const result = parseLine(typeof text === 'string' ? Buffer.from(text) : text, { maxDepth: 64 });
    if (result.ok || result.empty) throw new Error('expected a failure');
    return result;
  };

  it.each(['Server running on stdio', '{ a: 1 }', "{'a': 1}", 'Listening… ✓', '[ERROR] oops'])(
    'marks plain text %j as stray',
    (text) => {
      expect(failure(text)).toMatchObject({ rule: 'protocol.invalid-json', stray: true });
    },
  );

  it.each([
    ['two objects on a line', '{"jsonrpc":"2.0","method":"a"}{"jsonrpc":"2.0","method":"b"}'],
    ['a cut-off message', '{"jsonrpc":"2.0","id":1,"result":'],
    ['trailing garbage', '{"jsonrpc":"2.0","method":"a"} x'],
  ])('does not mark %s as stray', (_name, text) => {
    expect(failure(text).stray).toBeUndefined();
  });

  it('never marks invalid UTF-8, a BOM, a batch or a bare value as stray', () => {
    for (const line of [
      Buffer.from([0x68, 0xff]),
      Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0x69]),
      Buffer.from('[1]'),
      Buffer.from('42'),
    ]) {
      expect(failure(line).stray).toBeUndefined();
    }
  });
});
