import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../src/policy/decide.ts';
import type { JsonRpcMessage } from '../../../src/protocol/json-rpc.ts';
import { call, fromClient, makeCtx, makeState, makeTree, removeTree, request } from './fixture.ts';
import type { Tree } from './fixture.ts';

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => removeTree(tree));

const limit = 1024;
const table: [string, JsonRpcMessage, string][] = [
  ['exactly at the limit', call('search', { query: 'a'.repeat(limit) }), 'allow'],
  ['one byte over', call('search', { query: 'a'.repeat(limit + 1) }), 'deny size.argument'],
  [
    'multi-byte characters count as UTF-8 bytes',
    call('search', { query: 'é'.repeat(limit / 2 + 1) }),
    'deny size.argument',
  ],
  ['multi-byte at the limit', call('search', { query: '€'.repeat(341) }), 'allow'],
  [
    'deeply nested',
    call('search', { query: 'q', a: [{ b: [['x'.repeat(limit + 1)]] }] }),
    'deny size.argument',
  ],
  ['an object key', call('search', { query: 'q', a: { ['k'.repeat(limit + 1)]: 1 } }), 'deny size.argument'],
  [
    'outside tools/call',
    request('prompts/get', { name: 'p', arguments: { t: 'x'.repeat(limit + 1) } }),
    'deny size.argument',
  ],
  [
    'many small strings',
    call('search', { query: 'q', list: Array.from({ length: 100 }, () => 'x'.repeat(100)) }),
    'allow',
  ],
];

describe('argument size', () => {
  it.each(table)('%s → %s', (_label, message, expected) => {
    const ctx = makeCtx(tree, { policy: { limits: { argumentBytes: limit } } });
    const verdict = decide(fromClient(message), makeState(), ctx);
    expect(verdict.action === 'allow' ? 'allow' : `${verdict.action} ${verdict.rule}`).toBe(expected);
  });

  // decide() skips the walk when the whole line is within the limit: sound only because no string
  // JSON.parse returns is longer in UTF-8 than the raw text that spelled it (escapes only shrink).
  it('a decoded string is never longer in UTF-8 than its JSON spelling', () => {
    // JSON spellings: raw characters of every UTF-8 length, and escapes (lone surrogates too).
    const pieces = [
      'a',
      'é',
      '€',
      '😀',
      '\\u00e9',
      '\\u20ac',
      '\\ud83d\\ude00',
      '\\ud800',
      '\\udfff',
      '\\n',
      '\\\\',
      '\\"',
    ];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 3000; i++) {
      let raw = '';
      const length = Math.floor(next() * 12);
      for (let j = 0; j < length; j++) raw += pieces[Math.floor(next() * pieces.length)];
      const spelled = `"${raw}"`;
      const decoded = JSON.parse(spelled) as string;
      expect(Buffer.byteLength(decoded), spelled).toBeLessThanOrEqual(Buffer.byteLength(spelled));
    }
  });

  it('checks a long string even when the line is only just over the limit', () => {
    const ctx = makeCtx(tree, { policy: { limits: { argumentBytes: limit } } });
    const message = call('search', { query: '€'.repeat(342) }); // 1026 bytes in one argument
    const verdict = decide(fromClient(message), makeState(), ctx);
    expect(verdict.action !== 'allow' && verdict.rule).toBe('size.argument');
  });

  it('names where the string sits, never its content', () => {
    const ctx = makeCtx(tree, { policy: { limits: { argumentBytes: limit } } });
    const verdict = decide(fromClient(call('search', { query: 'secret'.repeat(300) })), makeState(), ctx);
    expect(verdict.action !== 'allow' && verdict.reason).toBe('arguments.query is 1800 bytes (limit 1024)');
    expect(verdict.action !== 'allow' && verdict.detail).toBeUndefined();
  });
});
