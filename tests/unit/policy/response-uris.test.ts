import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../src/policy/decide.ts';
import type { JsonRpcMessage } from '../../../src/protocol/json-rpc.ts';
import {
  fromServer,
  makeCtx,
  makeState,
  makeTree,
  notification,
  removeTree,
  result,
  sub,
} from './fixture.ts';
import type { Tree } from './fixture.ts';

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => removeTree(tree));

const inside = 'file://$B/data/notes.txt';
const outside = 'file:///etc/passwd';

// In flight: 1 resources/list, 2 resources/read, 3 tools/call, 4 prompts/get.
const table: [string, JsonRpcMessage, string][] = [
  ['resources/list inside', result(1, { resources: [{ uri: inside, name: 'n' }] }), 'allow'],
  [
    'resources/list outside',
    result(1, { resources: [{ uri: inside }, { uri: outside }] }),
    'kill path.outside-root',
  ],
  ['resources/list non-file URIs', result(1, { resources: [{ uri: 'https://x/../../etc' }] }), 'allow'],
  [
    'resources/list sibling',
    result(1, { resources: [{ uri: 'file://$B/data-evil/secret.txt' }] }),
    'kill path.outside-root',
  ],
  [
    'resources/list symlink escape',
    result(1, { resources: [{ uri: 'file://$B/data/link-out/passwd' }] }),
    'kill path.outside-root',
  ],
  [
    'resources/list encoded ..',
    result(1, { resources: [{ uri: 'file://$B/data/%2e%2e/ro/../../x' }] }),
    'kill path.outside-root',
  ],
  [
    'resources/list remote host',
    result(1, { resources: [{ uri: 'file://evil-host$B/data/notes.txt' }] }),
    'kill path.outside-root',
  ],
  [
    'resources/list leading space',
    result(1, { resources: [{ uri: '  file:///etc/passwd' }] }),
    'kill path.outside-root',
  ],
  [
    'resources/list tab inside scheme',
    result(1, { resources: [{ uri: 'fi\tle:///etc/passwd' }] }),
    'kill path.outside-root',
  ],
  ['resources/read inside', result(2, { contents: [{ uri: inside, text: '/etc/passwd' }] }), 'allow'],
  [
    'resources/read outside',
    result(2, { contents: [{ uri: outside, text: 'root:x' }] }),
    'kill path.outside-root',
  ],
  ['tools/call text mentioning a path', result(3, { content: [{ type: 'text', text: outside }] }), 'allow'],
  [
    'tools/call resource_link inside',
    result(3, { content: [{ type: 'resource_link', uri: inside, name: 'n' }] }),
    'allow',
  ],
  [
    'tools/call resource_link outside',
    result(3, { content: [{ type: 'resource_link', uri: outside, name: 'n' }] }),
    'kill path.outside-root',
  ],
  [
    'tools/call resource_link ~user',
    result(3, { content: [{ type: 'resource_link', uri: 'file:///~root/x' }] }),
    'kill path.outside-root',
  ],
  [
    'tools/call embedded resource outside',
    result(3, { content: [{ type: 'resource', resource: { uri: outside, text: 'x' } }] }),
    'kill path.outside-root',
  ],
  [
    'tools/call embedded resource inside',
    result(3, { content: [{ type: 'resource', resource: { uri: inside, text: 'x' } }] }),
    'allow',
  ],
  ['other results are not inspected', result(4, { messages: [{ uri: outside }] }), 'allow'],
  // Regression (tests/attacks mcp.prompt-*): prompt messages carry content blocks too.
  [
    'prompts/get resource_link outside',
    result(4, { messages: [{ role: 'user', content: { type: 'resource_link', uri: outside, name: 'p' } }] }),
    'kill path.outside-root',
  ],
  [
    'prompts/get embedded resource outside',
    result(4, {
      messages: [{ role: 'user', content: { type: 'resource', resource: { uri: outside, text: 'x' } } }],
    }),
    'kill path.outside-root',
  ],
  [
    'prompts/get resource_link inside',
    result(4, { messages: [{ role: 'user', content: { type: 'resource_link', uri: inside, name: 'p' } }] }),
    'allow',
  ],
  ['resources/updated inside', notification('notifications/resources/updated', { uri: inside }), 'allow'],
  [
    'resources/updated outside',
    notification('notifications/resources/updated', { uri: outside }),
    'kill path.outside-root',
  ],
  [
    'resources/updated non-file',
    notification('notifications/resources/updated', { uri: 'test://x' }),
    'allow',
  ],
];

describe('file: URIs in server messages', () => {
  it.each(table)('%s → %s', (_label, message, expected) => {
    const state = makeState({
      clientInFlight: [
        [1, 'resources/list'],
        [2, 'resources/read'],
        [3, 'tools/call'],
        [4, 'prompts/get'],
      ],
    });
    const verdict = decide(fromServer(sub(message, tree.base)), state, makeCtx(tree));
    expect(verdict.action === 'allow' ? 'allow' : `${verdict.action} ${verdict.rule}`).toBe(expected);
  });
});
