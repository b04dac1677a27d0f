import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../src/policy/decide.ts';
import type { JsonRpcMessage } from '../../../src/protocol/json-rpc.ts';
import { call, fromClient, makeCtx, makeState, makeTree, removeTree, request, sub } from './fixture.ts';
import type { Tree } from './fixture.ts';

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => removeTree(tree));

type Expect = 'allow' | 'path.outside-root' | 'path.read-only';

function verdictOf(message: JsonRpcMessage, ctx = makeCtx(tree)): string {
  const verdict = decide(fromClient(sub(message, tree.base)), makeState(), ctx);
  if (verdict.action !== 'allow') {
    expect(verdict.reason.length).toBeLessThanOrEqual(200);
    expect((verdict.detail ?? '').length).toBeLessThanOrEqual(256);
    return verdict.rule;
  }
  return 'allow';
}

// read_file's "path" is a path parameter: checked even when relative (against the first root, $B/data).
const readFile: [string, string, Expect][] = [
  ['file in root', '$B/data/notes.txt', 'allow'],
  ['the root itself', '$B/data', 'allow'],
  ['root with trailing slash', '$B/data/', 'allow'],
  ['relative', 'notes.txt', 'allow'],
  ['empty relative is the first root', '', 'allow'],
  ['relative with harmless ..', 'sub/../notes.txt', 'allow'],
  ['not yet existing file', '$B/data/new/deeper/file.txt', 'allow'],
  ['symlink inside the root', '$B/data/link-in/file.txt', 'allow'],
  ['ro root through its symlinked parent', '$B/alias/ro/readme.txt', 'allow'],
  ['ro root by its real path', '$B/ro/readme.txt', 'allow'],
  ['symlink into another root', '$B/data/link-ro/readme.txt', 'allow'],
  ['~ is home (inside)', '~', 'allow'],
  ['~/file', '~/file.txt', 'allow'],
  ['file:///abs', 'file://$B/data/notes.txt', 'allow'],
  ['file://localhost/abs', 'file://localhost$B/data/notes.txt', 'allow'],
  ['file:/abs', 'file:$B/data/notes.txt', 'allow'],
  ['FILE scheme in capitals', 'FILE://$B/data/notes.txt', 'allow'],
  ['percent-encoded space', 'file://$B/data/my%20file.txt', 'allow'],
  ['NFD name inside', '$B/data/cafe\u0301', 'allow'],
  ['full-width slash, relative, stays inside', 'sub\uFF0Ffile.txt', 'allow'],
  [
    'full-width dots and slashes (NFKC ../../etc)',
    '\uFF0E\uFF0E\uFF0F\uFF0E\uFF0E\uFF0Fetc',
    'path.outside-root',
  ],
  ['full-width absolute', '\uFF0Fetc\uFF0Fpasswd', 'path.outside-root'],
  ['two-dot leader (NFKC ..)', '\u2025/\u2025/\u2025/etc', 'path.outside-root'],
  ['traversal', '../etc/passwd', 'path.outside-root'],
  ['deep traversal', '../../../../../../etc/passwd', 'path.outside-root'],
  ['absolute outside', '/etc/passwd', 'path.outside-root'],
  ['traversal to the sibling', '$B/data/../data-evil/secret.txt', 'path.outside-root'],
  ['sibling sharing the prefix', '$B/data-evil/secret.txt', 'path.outside-root'],
  ['symlink escape', '$B/data/link-out/passwd', 'path.outside-root'],
  ['symlink then .. (kernel: parent of /etc)', '$B/data/link-out/../x', 'path.outside-root'],
  ['symlink to the sibling', '$B/data/link-evil/secret.txt', 'path.outside-root'],
  ['symlinked parent to the sibling', '$B/alias/data-evil/secret.txt', 'path.outside-root'],
  ['ghost dir then .. then symlink', '$B/data/new/../link-out/passwd', 'path.outside-root'],
  ['percent-encoded ..', 'file:///data/%2e%2e/etc/passwd', 'path.outside-root'],
  ['percent-encoded .. out of the root', 'file://$B/data/%2e%2e/data-evil/secret.txt', 'path.outside-root'],
  ['percent-encoded slash', 'file://$B/data/..%2F..%2Fetc', 'path.outside-root'],
  ['double encoding', 'file://$B/data/%252e%252e/x', 'path.outside-root'],
  ['remote host', 'file://evil-host/etc/passwd', 'path.outside-root'],
  ['remote host, root path', 'file://evil-host$B/data/notes.txt', 'path.outside-root'],
  ['traversal hidden after ?', 'file://$B/data/x?/../../../../etc/passwd', 'path.outside-root'],
  ['malformed encoding', 'file://$B/data/%zz', 'path.outside-root'],
  ['encoded NUL', 'file://$B/data/notes.txt%00.png', 'path.outside-root'],
  ['relative file: URI', 'file:notes.txt', 'path.outside-root'],
  ['NUL', '$B/data/notes.txt\u0000.png', 'path.outside-root'],
  ['~user', '~root/.ssh/id_rsa', 'path.outside-root'],
  ['~user alone', '~root', 'path.outside-root'],
  ['~ then traversal', '~/../../..', 'path.outside-root'],
  ['lone surrogate', '$B/data/\uD800x', 'path.outside-root'],
  ['Windows drive', 'C:\\Windows\\system32', 'path.outside-root'],
  ['Windows drive, forward slash', 'C:/x', 'path.outside-root'],
  ['UNC', '\\\\server\\share\\x', 'path.outside-root'],
  ['backslash traversal', '..\\..\\..\\etc\\passwd', 'path.outside-root'],
  ['leading space before an absolute path', ' /etc/passwd', 'path.outside-root'],
  ['trailing newline in a path parameter', '/etc/passwd\n', 'path.outside-root'],
];

describe('path anchoring: read_file path parameter', () => {
  it.each(readFile)('%s: %j → %s', (_label, value, expected) => {
    expect(verdictOf(call('read_file', { path: value }))).toBe(expected);
  });
});

const anywhere: [string, JsonRpcMessage, Expect][] = [
  ['undeclared argument, absolute', call('search', { query: 'x', scope: '/etc' }), 'path.outside-root'],
  [
    'nested in arrays and objects',
    call('search', { query: 'x', opts: { a: [['ok', '../../etc']] } }),
    'path.outside-root',
  ],
  ['nested inside the root', call('search', { query: 'x', opts: [{ p: '$B/data/sub' }] }), 'allow'],
  ['in an object key', call('search', { query: 'x', opts: { '/etc/passwd': 1 } }), 'path.outside-root'],
  ['declared text param, single line path', call('search', { query: '/etc/passwd' }), 'path.outside-root'],
  ['text with a harmless ..', call('search', { query: 'see ../sub' }), 'allow'],
  ['plain text is not path-like', call('search', { query: 'hello world' }), 'allow'],
  ['unknown tool, absolute', call('mystery', { foo: '/etc/passwd' }), 'path.outside-root'],
  ['unknown tool, relative is not path-like', call('mystery', { foo: 'x/y' }), 'allow'],
  [
    'outside params.arguments',
    request('tools/call', { name: 'search', arguments: {}, _meta: { f: '/etc' } }),
    'path.outside-root',
  ],
  [
    'resources/read file: outside',
    request('resources/read', { uri: 'file:///etc/passwd' }),
    'path.outside-root',
  ],
  ['resources/read file: inside', request('resources/read', { uri: 'file://$B/data/notes.txt' }), 'allow'],
  ['resources/read non-file URI', request('resources/read', { uri: 'https://example.com/a/b' }), 'allow'],
  ['resources/read custom scheme', request('resources/read', { uri: 'test://static/resource/1' }), 'allow'],
  [
    'resources/read leading space file:',
    request('resources/read', { uri: ' file:///etc/passwd' }),
    'path.outside-root',
  ],
  [
    'resources/subscribe outside',
    request('resources/subscribe', { uri: 'file://$B/data-evil/secret.txt' }),
    'path.outside-root',
  ],
  [
    'prompts/get argument',
    request('prompts/get', { name: 'p', arguments: { f: '~/../../../etc' } }),
    'path.outside-root',
  ],
  // Multi-line strings in a known tool's non-path argument are file contents, not paths.
  [
    'multi-line content',
    call('write_file', { path: '$B/data/a.txt', content: '/etc/passwd\nroot:x:0:0' }),
    'allow',
  ],
  ['CR content', call('write_file', { path: '$B/data/a.txt', content: '../../etc\rx' }), 'allow'],
  [
    'single-line content is checked',
    call('write_file', { path: '$B/data/a.txt', content: '/etc/passwd' }),
    'path.outside-root',
  ],
  [
    'multi-line in a path parameter',
    call('write_file', { path: '$B/data/a\n/../../../../etc', content: '' }),
    'path.outside-root',
  ],
  ['multi-line in an unknown tool', call('mystery', { content: '/etc/passwd\nroot:x' }), 'path.outside-root'],
  [
    'multi-line in an undeclared argument',
    call('write_file', { path: '$B/data/a', extra: '/etc/x\ny' }),
    'path.outside-root',
  ],
];

describe('path anchoring: every string in params', () => {
  it.each(anywhere)('%s', (_label, message, expected) => {
    expect(verdictOf(message)).toBe(expected);
  });

  it('denies every checked path when no root is configured', () => {
    const ctx = makeCtx(tree, { roots: [] });
    expect(verdictOf(call('read_file', { path: 'x' }), ctx)).toBe('path.outside-root');
    expect(verdictOf(call('read_file', { path: '$B/data/x' }), ctx)).toBe('path.outside-root');
    expect(verdictOf(call('search', { query: 'hello' }), ctx)).toBe('allow');
  });

  it('names the offending argument and carries the path as detail', () => {
    const verdict = decide(
      fromClient(call('read_file', { path: '/etc/passwd' })),
      makeState(),
      makeCtx(tree),
    );
    expect(verdict).toMatchObject({ action: 'deny', rule: 'path.outside-root', detail: '/etc/passwd' });
    expect(verdict.action !== 'allow' && verdict.reason).toContain('arguments.path');
  });
});

const writes: [string, JsonRpcMessage, Expect][] = [
  ['write_file in the rw root', call('write_file', { path: '$B/data/x', content: '' }), 'allow'],
  [
    'write_file in the ro root',
    call('write_file', { path: '$B/alias/ro/readme.txt', content: '' }),
    'path.read-only',
  ],
  [
    'write_file in the ro root by real path',
    call('write_file', { path: '$B/ro/new.txt', content: '' }),
    'path.read-only',
  ],
  [
    'write_file through a symlink into ro',
    call('write_file', { path: '$B/data/link-ro/x', content: '' }),
    'path.read-only',
  ],
  [
    'move_file from ro',
    call('move_file', { source: '$B/ro/readme.txt', destination: '$B/data/r' }),
    'path.read-only',
  ],
  [
    'move_file into ro',
    call('move_file', { source: '$B/data/notes.txt', destination: '$B/ro/n' }),
    'path.read-only',
  ],
  ['move_file rw to rw', call('move_file', { source: '$B/data/notes.txt', destination: 'sub/n' }), 'allow'],
  ['create_directory in ro', call('create_directory', { path: '$B/ro/newdir' }), 'path.read-only'],
  ['create_directory in rw', call('create_directory', { path: 'newdir' }), 'allow'],
  ['read_file in ro is fine', call('read_file', { path: '$B/ro/readme.txt' }), 'allow'],
  [
    'write outside beats read-only',
    call('write_file', { path: '$B/ro/../data-evil/x', content: '' }),
    'path.outside-root',
  ],
];

describe('writes to read-only roots', () => {
  it.each(writes)('%s', (_label, message, expected) => {
    expect(verdictOf(message)).toBe(expected);
  });

  it('picks the most specific root when roots nest', () => {
    const [data] = sub([{ path: '$B/data', realPath: '$B/data' }], tree.base);
    const inner = { path: `${data!.path}/sub`, realPath: `${data!.path}/sub` };
    const roOuter = makeCtx(tree, {
      roots: [
        { ...data!, readOnly: true },
        { ...inner, readOnly: false },
      ],
    });
    const roInner = makeCtx(tree, {
      roots: [
        { ...data!, readOnly: false },
        { ...inner, readOnly: true },
      ],
    });
    const write = (p: string) => call('write_file', { path: p, content: '' });
    expect(verdictOf(write('$B/data/sub/x'), roOuter)).toBe('allow');
    expect(verdictOf(write('$B/data/x'), roOuter)).toBe('path.read-only');
    expect(verdictOf(write('$B/data/sub/x'), roInner)).toBe('path.read-only');
    expect(verdictOf(write('$B/data/link-in/x'), roInner)).toBe('path.read-only');
    expect(verdictOf(write('$B/data/x'), roInner)).toBe('allow');
  });

  it('only tools matching policy.tools.write are held to read-write roots', () => {
    const ctx = makeCtx(tree, { policy: { tools: { write: [] } } });
    expect(verdictOf(call('write_file', { path: '$B/ro/x', content: '' }), ctx)).toBe('allow');
  });
});
