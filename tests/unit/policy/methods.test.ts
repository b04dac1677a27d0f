import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../src/policy/decide.ts';
import type { PolicyInput } from '../../../src/policy/types.ts';
import {
  fromClient,
  fromServer,
  makeCtx,
  makeState,
  makeTree,
  notification,
  removeTree,
  request,
} from './fixture.ts';
import type { Tree } from './fixture.ts';

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => removeTree(tree));

const table: [string, PolicyInput, string][] = [
  ['client initialize', fromClient(request('initialize', {})), 'allow'],
  ['client ping', fromClient(request('ping')), 'allow'],
  ['client notifications/initialized', fromClient(notification('notifications/initialized')), 'allow'],
  ['client unknown method', fromClient(request('admin/exec', {})), 'deny method.not-allowed'],
  ['client look-alike with a space', fromClient(request('tools/call ', {})), 'deny method.not-allowed'],
  ['client look-alike in capitals', fromClient(request('Tools/Call', {})), 'deny method.not-allowed'],
  ['client unknown notification', fromClient(notification('notifications/evil')), 'deny method.not-allowed'],
  [
    'client sends a server-only method',
    fromClient(request('sampling/createMessage', {})),
    'deny method.not-allowed',
  ],
  ['server ping', fromServer(request('ping')), 'allow'],
  [
    'server sampling/createMessage',
    fromServer(request('sampling/createMessage', {})),
    'kill server.request-not-allowed',
  ],
  [
    'server elicitation/create',
    fromServer(request('elicitation/create', {})),
    'kill server.request-not-allowed',
  ],
  ['server roots/list', fromServer(request('roots/list')), 'kill server.request-not-allowed'],
  [
    'server calls a client method',
    fromServer(request('tools/call', { name: 'x' })),
    'kill server.request-not-allowed',
  ],
  ['server log notification', fromServer(notification('notifications/message', { level: 'info' })), 'allow'],
  ['server progress notification', fromServer(notification('notifications/progress', {})), 'allow'],
  ['server unknown notification', fromServer(notification('notifications/evil')), 'kill method.not-allowed'],
  [
    'server initialized (client-only)',
    fromServer(notification('notifications/initialized')),
    'kill method.not-allowed',
  ],
];

describe('method allowlists', () => {
  it.each(table)('%s → %s', (_label, input, expected) => {
    const verdict = decide(input, makeState(), makeCtx(tree));
    expect(verdict.action === 'allow' ? 'allow' : `${verdict.action} ${verdict.rule}`).toBe(expected);
  });

  it('allows server requests the policy lists', () => {
    const ctx = makeCtx(tree, {
      policy: { methods: { serverRequests: ['ping', 'sampling/createMessage'] } },
    });
    expect(decide(fromServer(request('sampling/createMessage', {})), makeState(), ctx)).toEqual({
      action: 'allow',
    });
  });
});
