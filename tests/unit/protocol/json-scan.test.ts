import { describe, it, expect } from 'vitest';
import { scanJson } from '../../../src/protocol/json-scan.ts';

describe('scanJson', () => {
  it.each([
    { text: '{"a":1,"b":2}', dup: undefined },
    { text: '{"a":1,"a":2}', dup: 'a' },
    { text: '{"a":1,"\\u0061":2}', dup: 'a' },
    { text: '{"x":{"k":1,"k":2}}', dup: 'k' },
    { text: '{"x":[{"k":1},{"k":2}]}', dup: undefined },
    { text: '{"x":[{"k":1,"j":2,"k":3}]}', dup: 'k' },
    { text: '{"a":{"a":{"a":1}}}', dup: undefined },
    { text: '{"a":"b","b":"a"}', dup: undefined },
    { text: '{"a\\"":1,"a\\"":2}', dup: 'a"' },
    { text: '{"a\\\\":1,"a":2}', dup: undefined },
    { text: '{"":1,"":2}', dup: '' },
    { text: '{"b":1,"a":1,"a":2,"b":3}', dup: 'a' },
    { text: '{"__proto__":1,"__proto__":2}', dup: '__proto__' },
    { text: '{"constructor":1,"hasOwnProperty":2}', dup: undefined },
    { text: '["a","a"]', dup: undefined },
    { text: '"a"', dup: undefined },
  ])('duplicateKey of $text is $dup', ({ text, dup }) => {
    JSON.parse(text); // the contract: only valid JSON
    expect(scanJson(text).duplicateKey).toBe(dup);
  });

  it.each([
    { text: '1', depth: 0 },
    { text: '{}', depth: 1 },
    { text: '{"a":[1,{"b":{}}]}', depth: 4 },
    { text: '{"a":"{{{{[[[["}', depth: 1 },
    { text: '{"a":{},"b":[[[]]]}', depth: 4 },
    { text: `${'['.repeat(5000)}${']'.repeat(5000)}`, depth: 5000 },
  ])('maxDepth of $text is $depth', ({ text, depth }) => {
    expect(scanJson(text).maxDepth).toBe(depth);
  });

  it('flags __proto__ keys, escaped or nested', () => {
    expect(scanJson('{"a":{"__proto__":{}}}').protoKey).toBe(true);
    expect(scanJson('{"\\u005f_proto__":1}').protoKey).toBe(true);
    expect(scanJson('{"a":"__proto__"}').protoKey).toBe(false);
  });

  it('skips over a large string with many escapes', () => {
    const value = 'ab\\"c\\\\'.repeat(100_000);
    const text = JSON.stringify({ a: value, b: { a: 1 }, c: 2, a2: 3 });
    expect(scanJson(text)).toEqual({ duplicateKey: undefined, maxDepth: 2, protoKey: false });
    expect(scanJson(`${text.slice(0, -1)},"c":4}`).duplicateKey).toBe('c');
  });
});
