import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../src/policy/decide.ts';
import type { PolicyInput as PolicyFileInput } from '../../../src/config/policy-schema.ts';
import type { JsonRpcMessage } from '../../../src/protocol/json-rpc.ts';
import type { PolicyInput } from '../../../src/policy/types.ts';
import {
  call,
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

// Pinning and poison checks are off here so the verdicts show filtering alone (tests/unit/policy/tool-definitions.test.ts).
const restrictive: PolicyFileInput = {
  tools: { allow: ['read_*', 'search'], deny: ['read_secret*'] },
  guards: { pinTools: false, poisonedTools: 'off' },
};

const calls: [string, PolicyFileInput, JsonRpcMessage, string][] = [
  ['default allows any tool', {}, call('anything', {}), 'allow'],
  ['allowed by glob', restrictive, call('read_file', { path: 'x' }), 'allow'],
  ['allowed by exact name', restrictive, call('search', { query: 'q' }), 'allow'],
  ['not in allow', restrictive, call('write_file', { path: 'x' }), 'deny tool.not-allowed'],
  ['deny wins over allow', restrictive, call('read_secret_key', {}), 'deny tool.not-allowed'],
  ['name is not a string', {}, request('tools/call', { name: 42, arguments: {} }), 'deny tool.not-allowed'],
  ['no name at all', {}, request('tools/call', { arguments: {} }), 'deny tool.not-allowed'],
  ['no params', {}, request('tools/call'), 'deny tool.not-allowed'],
  ['empty allow list', { tools: { allow: [] } }, call('read_file', {}), 'deny tool.not-allowed'],
];

describe('tools/call allow and deny globs', () => {
  it.each(calls)('%s → %s', (_label, policy, message, expected) => {
    const verdict = decide(fromClient(message), makeState(), makeCtx(tree, { policy }));
    expect(verdict.action === 'allow' ? 'allow' : `${verdict.action} ${verdict.rule}`).toBe(expected);
  });
});

const listed = [
  { name: 'read_file', description: 'r' },
  { name: 'read_secret_key' },
  { name: 'write_file' },
  { name: 'search' },
  { description: 'nameless' },
];

describe('tools/list filtering', () => {
  const listResult = (tools: unknown[]): PolicyInput => fromServer(result(3, { tools, nextCursor: 'c' }));
  const inFlight = () => makeState({ clientInFlight: [[3, 'tools/list']] });

  it('removes tools the client may not call and keeps everything else', () => {
    const verdict = decide(listResult(listed), inFlight(), makeCtx(tree, { policy: restrictive }));
    expect(verdict).toEqual({
      action: 'allow',
      rewrite: {
        jsonrpc: '2.0',
        id: 3,
        result: { tools: [{ name: 'read_file', description: 'r' }, { name: 'search' }], nextCursor: 'c' },
      },
    });
  });

  it('is a plain allow when nothing is removed', () => {
    const verdict = decide(
      listResult([{ name: 'read_file' }, { name: 'search' }]),
      inFlight(),
      makeCtx(tree, { policy: restrictive }),
    );
    expect(verdict).toEqual({ action: 'allow' });
  });

  it('drops nameless entries even under the default policy', () => {
    const verdict = decide(listResult(listed), inFlight(), makeCtx(tree));
    expect(
      verdict.action === 'allow' && (verdict.rewrite?.result as { tools: unknown[] }).tools,
    ).toHaveLength(4);
  });
});
