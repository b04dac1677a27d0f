import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../src/policy/decide.ts';
import type { PolicyInput as PolicyFileInput } from '../../../src/config/policy-schema.ts';
import { fromClient, makeCtx, makeState, makeTree, removeTree, request } from './fixture.ts';
import type { Tree } from './fixture.ts';

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => removeTree(tree));

const all = { sampling: {}, elicitation: {}, roots: { listChanged: true }, experimental: { x: {} } };

const table: [string, PolicyFileInput, Record<string, unknown>, Record<string, unknown> | undefined][] = [
  ['default policy strips all three', {}, all, { experimental: { x: {} } }],
  [
    'sampling allowed keeps sampling',
    { methods: { serverRequests: ['ping', 'sampling/createMessage'] } },
    all,
    { sampling: {}, experimental: { x: {} } },
  ],
  [
    'everything allowed: no rewrite',
    { methods: { serverRequests: ['sampling/createMessage', 'elicitation/create', 'roots/list'] } },
    all,
    undefined,
  ],
  ['nothing to strip: no rewrite', {}, { experimental: {} }, undefined],
  ['only roots', {}, { roots: {} }, {}],
];

describe('initialize capability rewrite', () => {
  it.each(table)('%s', (_label, policy, capabilities, expected) => {
    const params = { protocolVersion: '2025-06-18', capabilities, clientInfo: { name: 'c', version: '1' } };
    const verdict = decide(
      fromClient(request('initialize', params, 0)),
      makeState(),
      makeCtx(tree, { policy }),
    );
    if (expected === undefined) {
      expect(verdict).toEqual({ action: 'allow' });
    } else {
      expect(verdict).toEqual({
        action: 'allow',
        rewrite: {
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: { ...params, capabilities: expected },
        },
      });
    }
    expect(params.capabilities).toBe(capabilities); // the input is not mutated
    expect(Object.keys(capabilities).length).toBeGreaterThan(0);
  });

  it('allows initialize without capabilities unchanged', () => {
    expect(decide(fromClient(request('initialize', {}, 0)), makeState(), makeCtx(tree))).toEqual({
      action: 'allow',
    });
  });
});
