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

  it('names where the string sits, never its content', () => {
    const ctx = makeCtx(tree, { policy: { limits: { argumentBytes: limit } } });
    const verdict = decide(fromClient(call('search', { query: 'secret'.repeat(300) })), makeState(), ctx);
    expect(verdict.action !== 'allow' && verdict.reason).toBe('arguments.query is 1800 bytes (limit 1024)');
    expect(verdict.action !== 'allow' && verdict.detail).toBeUndefined();
  });
});
