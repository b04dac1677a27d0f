import { describe, it, expect } from 'vitest';
import { IdSniffer } from '../../../src/protocol/id-sniffer.ts';

function sniff(text: string, chunkSize = Infinity): ReturnType<IdSniffer['result']> {
  const sniffer = new IdSniffer();
  const bytes = Buffer.from(text);
  const step = Math.min(chunkSize, bytes.length || 1);
  for (let i = 0; i < bytes.length; i += step) sniffer.push(bytes.subarray(i, i + step));
  return sniffer.result();
}

const huge = 'z'.repeat(200_000);

describe('IdSniffer', () => {
  it.each([
    {
      name: 'id before huge params',
      text: `{"jsonrpc":"2.0","id":7,"method":"m","params":{"a":"${huge}"}}`,
      id: 7,
    },
    {
      name: 'id after huge params (SDK order)',
      text: `{"method":"m","params":{"a":"${huge}","b":[1,{"c":2}]},"jsonrpc":"2.0","id":5}`,
      id: 5,
    },
    { name: 'string id', text: '{"id":"req-1","x":1}', id: 'req-1' },
    { name: 'string id with escapes', text: '{"id":"a\\"b\\\\c\\u0041"}', id: 'a"b\\cA' },
    { name: 'negative id, whitespace', text: ' { "id" : -42 , "x" : 1 } ', id: -42 },
    { name: 'id as last key without spaces', text: '{"x":1,"id":0}', id: 0 },
    { name: 'escaped quotes before the id', text: '{"p":"he said \\"id\\": 3","id":4}', id: 4 },
    { name: 'string ending in an escaped backslash', text: '{"p":"a\\\\","id":9}', id: 9 },
    {
      name: 'nested id keys are ignored',
      text: '{"params":{"id":1,"x":{"id":2}},"r":[{"id":3}],"id":4}',
      id: 4,
    },
    { name: 'only nested ids', text: '{"params":{"id":1}}', id: undefined },
    { name: 'key "id" as a value is not a key', text: '{"a":"id","b":1}', id: undefined },
    { name: 'null id', text: '{"id":null}', id: undefined },
    { name: 'float id', text: '{"id":1.5}', id: undefined },
    { name: 'unsafe integer id', text: '{"id":9007199254740993}', id: undefined },
    { name: 'object id', text: '{"id":{"a":1},"x":2}', id: undefined },
    { name: 'boolean id', text: '{"id":true}', id: undefined },
    { name: 'too-long string id', text: `{"id":"${'a'.repeat(257)}"}`, id: undefined },
    { name: 'longest string id', text: `{"id":"${'a'.repeat(256)}"}`, id: 'a'.repeat(256) },
    { name: 'id spelt with \\u escapes is missed (documented)', text: '{"\\u0069d":3}', id: undefined },
    { name: 'array (batch)', text: '[{"id":1}]', id: undefined },
    { name: 'id key of a second object on the line', text: '{"a":1}{"id":2}', id: undefined },
    { name: 'truncated id value', text: '{"id":12', id: undefined },
  ])('$name', ({ text, id }) => {
    for (const chunkSize of [Infinity, 1, 2, 3, 7, 4096]) {
      expect(sniff(text, chunkSize)).toEqual(id);
    }
  });

  it('handles backslash runs split across chunks', () => {
    // Each backslash in its own chunk: the escape state must carry over.
    const text = '{"p":"\\\\\\"","id":11}';
    expect(JSON.parse(text)).toEqual({ p: '\\"', id: 11 });
    expect(sniff(text, 1)).toBe(11);
  });
});
