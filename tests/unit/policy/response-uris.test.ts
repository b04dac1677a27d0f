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

function errorWith(id: number, fields: Record<string, unknown>): JsonRpcMessage {
  return { kind: 'error', message: { jsonrpc: '2.0', id, error: { code: -1, message: 'x', ...fields } } };
}
const outside = 'file:///etc/passwd';

// In flight: 1 resources/list, 2 resources/read, 3 tools/call, 4 prompts/get, 5 resources/templates/list.
const table: [string, JsonRpcMessage, string][] = [
  ['resources/list inside', result(1, { resources: [{ uri: inside, name: 'n' }] }), 'allow'],
  [
    'resources/list outside',
    result(1, { resources: [{ uri: inside }, { uri: outside }] }),
    'kill path.outside-root',
  ],
  ['resources/list non-file URIs', result(1, { resources: [{ uri: 'https://x/a/../b' }] }), 'allow'],
  // A URI of another scheme whose path leaves the roots is what the client may not read (paths.bypass-*):
  // the same rule holds for the links a server hands out.
  [
    'resources/list non-file URI climbing out',
    result(1, { resources: [{ uri: 'https://x/../../etc' }] }),
    'kill path.outside-root',
  ],
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
  // Issue 20 item 14: every string of every server message, wherever it sits.
  [
    'a file: URI anywhere in any result',
    result(4, { messages: [{ uri: outside }] }),
    'kill path.outside-root',
  ],
  [
    'structuredContent',
    result(3, { content: [], structuredContent: { a: [{ b: outside }] } }),
    'kill path.outside-root',
  ],
  [
    'result._meta',
    result(3, { content: [], _meta: { 'ui/resourceUri': outside } }),
    'kill path.outside-root',
  ],
  [
    'annotations',
    result(3, { content: [{ type: 'text', text: 'x', annotations: { source: outside } }] }),
    'kill path.outside-root',
  ],
  ['nextCursor', result(1, { resources: [], nextCursor: outside }), 'kill path.outside-root'],
  [
    'an object key',
    result(3, { content: [], structuredContent: { [outside]: 1 } }),
    'kill path.outside-root',
  ],
  [
    'prompt content given as an array',
    result(4, {
      messages: [{ role: 'user', content: [{ type: 'resource_link', uri: outside, name: 'p' }] }],
    }),
    'kill path.outside-root',
  ],
  [
    'resources/templates/list outside',
    result(5, { resourceTemplates: [{ uriTemplate: 'file:///etc/{name}', name: 't' }] }),
    'kill path.outside-root',
  ],
  [
    'resources/templates/list inside',
    result(5, { resourceTemplates: [{ uriTemplate: 'file://$B/data/{name}', name: 't' }] }),
    'allow',
  ],
  [
    'resources/templates/list bare path',
    result(5, { resourceTemplates: [{ uriTemplate: '/etc/{name}', name: 't' }] }),
    'kill path.outside-root',
  ],
  [
    'resource_link with a bare absolute path',
    result(3, { content: [{ type: 'resource_link', uri: '/etc/passwd', name: 'n' }] }),
    'kill path.outside-root',
  ],
  [
    'resource_link climbing out with ..',
    result(3, { content: [{ type: 'resource_link', uri: '../../../../../../../etc/passwd', name: 'n' }] }),
    'kill path.outside-root',
  ],
  [
    'resource_link behind another scheme',
    result(3, { content: [{ type: 'resource_link', uri: `jar:${outside}!/x`, name: 'n' }] }),
    'kill path.outside-root',
  ],
  [
    'resource_link with a custom scheme',
    result(3, { content: [{ type: 'resource_link', uri: 'notes://a/b', name: 'n' }] }),
    'allow',
  ],
  [
    'resource_link with a custom scheme climbing out',
    result(3, { content: [{ type: 'resource_link', uri: 'notes://%2E%2E/%2E%2E/secret', name: 'n' }] }),
    'kill path.outside-root',
  ],
  [
    'resource_link with a custom scheme and an absolute path',
    result(3, { content: [{ type: 'resource_link', uri: 'notes:///etc/passwd', name: 'n' }] }),
    'kill path.outside-root',
  ],
  [
    'a custom-scheme template over names',
    result(5, { resourceTemplates: [{ uriTemplate: 'demo://resource/dynamic/text/{id}', name: 't' }] }),
    'allow',
  ],
  [
    'a bare path elsewhere is text',
    result(3, { content: [], structuredContent: { path: '/etc/passwd' } }),
    'allow',
  ],
  [
    'full-width letters',
    result(3, { content: [], _meta: { x: 'ｆｉｌｅ:///etc/passwd' } }),
    'kill path.outside-root',
  ],
  [
    'behind escapes the guards strip',
    result(3, { content: [], _meta: { x: 'fi\u200ble:///etc/passwd' } }),
    'kill path.outside-root',
  ],
  [
    'embedded resource text mentioning a path',
    result(3, { content: [{ type: 'resource', resource: { uri: inside, text: outside } }] }),
    'allow',
  ],
  ['error.data', errorWith(3, { data: { uri: outside } }), 'kill path.outside-root'],
  ['error.message that is a link', errorWith(3, { message: outside }), 'kill path.outside-root'],
  [
    'notifications/message data',
    notification('notifications/message', { level: 'info', data: outside }),
    'kill path.outside-root',
  ],
  [
    'a server request',
    {
      kind: 'request',
      message: { jsonrpc: '2.0', id: 'ping-1', method: 'ping', params: { _meta: { x: outside } } },
    },
    'kill path.outside-root',
  ],
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
        [5, 'resources/templates/list'],
      ],
    });
    const verdict = decide(fromServer(sub(message, tree.base)), state, makeCtx(tree));
    expect(verdict.action === 'allow' ? 'allow' : `${verdict.action} ${verdict.rule}`).toBe(expected);
  });
});
