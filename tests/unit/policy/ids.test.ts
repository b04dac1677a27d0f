import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../src/policy/decide.ts';
import type { PolicyInput } from '../../../src/policy/types.ts';
import {
  errorResponse,
  fromClient,
  fromServer,
  makeCtx,
  makeState,
  makeTree,
  removeTree,
  request,
  result,
} from './fixture.ts';
import type { Tree } from './fixture.ts';

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => removeTree(tree));

// In flight: client requests 1 (tools/list) and "a" (ping); server request 7 (ping); abandoned: 5.
const state = () =>
  makeState({
    clientInFlight: [
      [1, 'tools/list'],
      ['a', 'ping'],
    ],
    serverInFlight: [[7, 'ping']],
    abandoned: [5],
  });

const table: [string, PolicyInput, string][] = [
  ['client request with a fresh id', fromClient(request('ping', undefined, 2)), 'allow'],
  [
    'client request reusing an in-flight id',
    fromClient(request('ping', undefined, 1)),
    'deny protocol.duplicate-id',
  ],
  [
    'client request reusing a string id',
    fromClient(request('ping', undefined, 'a')),
    'deny protocol.duplicate-id',
  ],
  ['1 and "1" are different ids', fromClient(request('ping', undefined, '1')), 'allow'],
  // Regression (tests/attacks mcp.client-reuses-abandoned-id): the late answer to 5 may still come.
  [
    'client request reusing an id that timed out',
    fromClient(request('ping', undefined, 5)),
    'deny protocol.duplicate-id',
  ],
  ['client answers a server request', fromClient(result(7, {})), 'allow'],
  ['client error for a server request', fromClient(errorResponse(7)), 'allow'],
  ['client answers an unknown id', fromClient(result(8, {})), 'deny protocol.unknown-id'],
  ['client error with id null', fromClient(errorResponse(null)), 'deny protocol.invalid-message'],
  ['server answers an in-flight request', fromServer(result('a', {})), 'allow'],
  ['server error for an in-flight request', fromServer(errorResponse(1)), 'allow'],
  ['server answers an abandoned request', fromServer(result(5, {})), 'deny protocol.unknown-id'],
  ['server error for an abandoned request', fromServer(errorResponse(5)), 'deny protocol.unknown-id'],
  ['server answers an unknown id', fromServer(result(99, {})), 'kill protocol.unknown-id'],
  ['server answers "1" for 1', fromServer(result('1', {})), 'kill protocol.unknown-id'],
  ['server error with id null', fromServer(errorResponse(null)), 'kill protocol.invalid-message'],
  [
    'server request reusing an in-flight id',
    fromServer(request('ping', undefined, 7)),
    'kill protocol.duplicate-id',
  ],
  ['server request with a fresh id', fromServer(request('ping', undefined, 8)), 'allow'],
];

describe('ids and correlation', () => {
  it.each(table)('%s → %s', (_label, input, expected) => {
    const verdict = decide(input, state(), makeCtx(tree));
    expect(verdict.action === 'allow' ? 'allow' : `${verdict.action} ${verdict.rule}`).toBe(expected);
  });

  it('kills a duplicate response: the first one settled the id', () => {
    const settled = makeState({ clientInFlight: [] });
    expect(decide(fromServer(result(1, {})), settled, makeCtx(tree))).toMatchObject({
      action: 'kill',
      rule: 'protocol.unknown-id',
    });
  });
});
