// Issue 20 item 7: the policy read a string only as it arrived (plus a few spellings), so a line
// break in a text argument, a relative name through an outside symlink, a URI of another scheme
// than file: and glob braces each reached a file outside the roots. Every spelling a consumer might
// act on is now anchored; these tables hold both sides: the bypasses denied, prose and code allowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../../src/policy/decide.ts';
import { MESSAGE_EXPANSION_CHARS } from '../../../../src/policy/paths/braces.ts';
import { mayNameFile, siteReading } from '../../../../src/policy/paths/site-reading.ts';
import type { Role } from '../../../../src/policy/paths/site-reading.ts';
import { learnTools } from '../../../../src/policy/tool-info.ts';
import type { JsonRpcMessage } from '../../../../src/protocol/json-rpc.ts';
import {
  call,
  fromClient,
  makeCtx,
  makeState,
  makeTree,
  removeTree,
  request,
  sub,
  TOOLS_LIST,
} from '../fixture.ts';
import type { Tree } from '../fixture.ts';

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => removeTree(tree));

const OUT = 'path.outside-root';
type Expect = 'allow' | typeof OUT | 'path.read-only';

// The fixture's tools, plus a search tool whose `pattern` is a glob by description only.
const tools = learnTools({
  tools: [
    ...TOOLS_LIST.tools,
    {
      name: 'find',
      inputSchema: {
        type: 'object',
        properties: { q: { type: 'string', description: 'A glob to match names against' } },
      },
    },
  ],
});

function verdictOf(message: JsonRpcMessage, ctx = makeCtx(tree)): string {
  const verdict = decide(fromClient(sub(message, tree.base)), makeState({ tools }), ctx);
  return verdict.action === 'allow' ? 'allow' : verdict.rule;
}

// search's `query` is declared and not a path: a text argument.
const text: [string, string, Expect][] = [
  // (a) line breaks, tabs, stripped ends
  ['a file: URI with a trailing newline', 'file:///etc/passwd\n', OUT],
  ['an absolute path with a trailing CRLF', '/etc/passwd\r\n', OUT],
  ['a newline inside the scheme', 'fi\nle:///etc/passwd', OUT],
  ['a CR inside the scheme', 'fi\rle:///etc/passwd', OUT],
  ['a tab inside the scheme, newline after', 'fi\tle:///etc/passwd\nmore', OUT],
  ['C0 controls and spaces around, then a newline', '\x01 \x1ffile:///etc/passwd\x1f \n', OUT],
  ['a relative traversal with a trailing newline', '../../etc/passwd\n', OUT],
  ['leading newlines before an absolute path', '\n\n/etc/passwd', OUT],
  ['multi-line file contents starting with a path', '/etc/passwd\nroot:x:0:0', 'allow'],
  ['multi-line code starting with a comment', '/* header */\nint main(void) { return a/b; }\n', 'allow'],
  ['multi-line text with ../', 'first line\nsee ../notes\nkey: value', 'allow'],
  ['multi-line YAML (a "scheme" after cleaning, harmless parts)', 'key: ../x\nother: /etc', 'allow'],
  ['a path broken by a newline is text, not a path', '/etc/pass\nwd', 'allow'],
  // (b) relative names through a symlink
  ['a relative name through an outside symlink', 'link-out/passwd', OUT],
  ['the outside symlink through an inside one', 'link-in/../link-out/passwd', OUT],
  ['a relative name with a backslash', 'link-out\\passwd', OUT],
  ['a full-width solidus (NFKC "/")', 'link-out\uFF0Fpasswd', OUT],
  ['a name that is itself an outside symlink', 'link-evil', 'allow'], // no dot or slash: plain text
  ['an outside symlink named with a slash', 'link-evil/', OUT],
  ['a relative name inside', 'link-in/file.txt', 'allow'],
  ['a missing relative name', 'no/such/file.txt', 'allow'],
  ['a relative name in prose', 'see link-out/passwd for details', 'allow'],
  // (c) URIs of any scheme
  ['a custom scheme with ..', 'notes://../data-evil/secret.txt', OUT],
  ['an encoded slash in the host', 'notes://..%2Fdata-evil%2Fsecret.txt', OUT],
  ['encoded dots', 'notes://%2E%2E/data-evil/secret.txt', OUT],
  ['an empty host and an absolute path', 'notes:///etc/passwd', OUT],
  ['an opaque relative path', 'notes:../data-evil/secret.txt', OUT],
  ['a host that is an outside symlink', 'notes://link-out/passwd', OUT],
  ['a .. host behind user info and a port', 'notes://me@..:80/data-evil/secret.txt', OUT],
  ['a path part through an outside symlink', 'x://host/link-out/passwd', OUT],
  ['a percent-encoded relative traversal', '%2e%2e%2fdata-evil%2fsecret.txt', OUT],
  ['a double-encoded custom URI', 'notes://%252E%252E/data-evil/secret.txt', OUT],
  ['a web URL with a .. segment', 'https://example.com/a/../b?q=1#f', 'allow'],
  ['a localhost URL', 'http://localhost:3000/api/v1/items', 'allow'],
  ['a custom URI inside', 'notes://sub/file.txt', 'allow'],
  ['prose with a colon and a slash', 'see notes: 1/2 done', 'allow'],
  ['prose after a colon', 're: ../../etc/passwd is the file', 'allow'],
  ['mailto', 'mailto:someone@example.com', 'allow'],
  ['a data: URI', 'data:text/plain;base64,SGVsbG8gd29ybGQ=', 'allow'],
  ['progress in percent', 'progress 50% done', 'allow'],
  // (d) braces, in a value shaped like a glob
  ['an absolute alternative', '{/etc/passwd,x}', OUT],
  ['an absolute alternative with a wildcard', '{$B/data-evil,x}/*.txt', OUT],
  ['a .. alternative', '{..,x}/data-evil/secret.txt', OUT],
  ['nested alternatives', '{a,{b,/etc}}/passwd', OUT],
  ['braces expanding inside', '{sub,link-in}/*.txt', 'allow'],
  ['minified JSON is not a pattern', '{"a":"/etc/passwd","b":[1,2]}', 'allow'],
  ['braces in prose are not a pattern', 'use {/etc/passwd, x} here', 'allow'],
  ['a version and a domain', 'v1.2.3', 'allow'],
];

describe('request strings in a declared text argument', () => {
  it.each(text)('%s: %j → %s', (_label, value, expected) => {
    expect(verdictOf(call('search', { query: value }))).toBe(expected);
  });
});

const elsewhere: [string, JsonRpcMessage, Expect][] = [
  // Unknown tool (before tools/list) or undeclared argument: no schema says what it is.
  ['unknown tool, relative name through a symlink', call('mystery', { foo: 'link-out/passwd' }), OUT],
  ['unknown tool, relative name inside', call('mystery', { foo: 'link-in/file.txt' }), 'allow'],
  [
    'undeclared argument, relative name through a symlink',
    call('search', { query: 'x', at: 'link-out/x' }),
    OUT,
  ],
  ['an object key through a symlink', call('search', { query: 'x', map: { 'link-out/passwd': 1 } }), OUT],
  [
    'resources/read of a custom URI with ..',
    request('resources/read', { uri: 'notes://../etc/passwd' }),
    OUT,
  ],
  [
    'resources/read of a custom URI inside',
    request('resources/read', { uri: 'test://static/resource/1' }),
    'allow',
  ],
  // Glob arguments: by name (even undeclared) or by description.
  ['a pattern argument with a .. alternative', call('search', { query: 'x', pattern: '{..,x}/y' }), OUT],
  ['excludePatterns with an absolute alternative', call('mystery', { excludePatterns: ['{/etc,x}'] }), OUT],
  ['a glob by description', call('find', { q: '{/etc/passwd,x}' }), OUT],
  ['a glob by description, with a space', call('find', { q: '{/etc/my file,x}' }), OUT],
  ['a glob pattern inside', call('find', { q: '**/*.{ts,js}' }), 'allow'],
  ['a brace bomb in a pattern argument', call('search', { query: 'x', pattern: '{a,b}'.repeat(9) }), OUT],
  // Path arguments: every spelling, relative ones against every root.
  ['a path argument with a custom URI', call('read_file', { path: 'notes://../etc/passwd' }), OUT],
  ['a path argument percent-encoded', call('read_file', { path: '..%2Fdata-evil%2Fsecret.txt' }), OUT],
  ['a path argument with braces', call('read_file', { path: '{notes.txt,/etc/passwd}' }), OUT],
  ['a path argument with braces inside', call('read_file', { path: '{notes.txt,sub/file.txt}' }), 'allow'],
  ['a path argument with a web URL', call('read_file', { path: 'https://example.com/a' }), 'allow'],
];

describe('request strings elsewhere', () => {
  it.each(elsewhere)('%s', (_label, message, expected) => {
    expect(verdictOf(message)).toBe(expected);
  });

  it('resolves a relative path against every root, not only the first', () => {
    // The ro root first: "link-out/passwd" is missing there, but a server may resolve it against data.
    const reversed = makeCtx(tree, { roots: [...tree.roots].reverse() });
    expect(verdictOf(call('read_file', { path: 'link-out/passwd' }), reversed)).toBe(OUT);
    expect(verdictOf(call('search', { query: 'link-out/passwd' }), reversed)).toBe(OUT);
    expect(verdictOf(call('read_file', { path: 'readme.txt' }), reversed)).toBe('allow');
  });

  it('only the first root decides whether a relative write is read-only', () => {
    // readme.txt exists in the ro root (second); a relative path means the first, read-write root.
    expect(verdictOf(call('write_file', { path: 'readme.txt', content: '' }))).toBe('allow');
    const reversed = makeCtx(tree, { roots: [...tree.roots].reverse() });
    expect(verdictOf(call('write_file', { path: 'notes.txt', content: '' }), reversed)).toBe(
      'path.read-only',
    );
  });
});

describe('siteReading', () => {
  const read = (value: string, role: Role, glob = false) =>
    siteReading(
      value,
      { role, isGlob: () => glob, budget: { chars: MESSAGE_EXPANSION_CHARS } },
      makeCtx(tree),
    );

  it('leaves plain text alone outside path arguments', () => {
    for (const value of ['hello world', 'no dots or slashes here', 'a-b_c=d, "quoted"; (x) [y] *?']) {
      expect(mayNameFile(value)).toBe(false);
      expect(read(value, 'text')).toBeUndefined();
      expect(read(value, 'unknown')).toBeUndefined();
    }
    // Looked at, and found harmless: prose, file contents.
    for (const value of ['Hello. World.', 'tabs\tand\nnewlines', 'line one\n/* two */ ../three']) {
      expect(read(value, 'text')).toBeUndefined();
    }
    for (const value of ['a.b', 'a/b', 'a:b', '{a,b}', '~', '50%', 'a\\b', '\u00e9', 'x\x01']) {
      expect(mayNameFile(value)).toBe(true);
    }
  });

  it('pairs a relative name with every root, to be followed only where it exists', () => {
    const reading = read('sub/file.txt', 'text');
    expect(reading).toEqual({
      ok: true,
      paths: [],
      entries: tree.roots.map((root) => [root.path, 'sub/file.txt']),
    });
  });

  it('anchors every spelling at a path site, relative ones against every root', () => {
    const reading = read('a%2Fb', 'path');
    const [first, second] = tree.roots;
    expect(reading).toEqual({
      ok: true,
      paths: [`${first!.path}/a%2Fb`, `${first!.path}/a/b`],
      alsoAt: [`${second!.path}/a%2Fb`, `${second!.path}/a/b`],
    });
  });

  it('refuses what it cannot check', () => {
    expect(read('{a,b}'.repeat(9), 'text', true)).toMatchObject({ ok: false });
    expect(read(`{a,b}${'x'.repeat(9000)}`, 'text', true)).toMatchObject({ ok: false });
  });
});
