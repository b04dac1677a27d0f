// policy.approve matching (pure): which tools/call needs the user's approval, and path globs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatZodError } from '../../../src/config/format-zod-error.ts';
import { PolicySchema } from '../../../src/config/policy-schema.ts';
import type { PolicyInput as PolicyFileInput } from '../../../src/config/policy-schema.ts';
import { matchesPathGlob } from '../../../src/policy/path-glob.ts';
import { matchApproval } from '../../../src/policy/rules/approvals.ts';
import { makeCtx, makeState, makeTree, removeTree, sub } from './fixture.ts';
import type { Tree } from './fixture.ts';

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => removeTree(tree));

function match(approve: PolicyFileInput['approve'], name: string, args: Record<string, unknown>) {
  const ctx = makeCtx(tree, { policy: { approve: sub(approve, tree.base) } });
  return matchApproval({ name, arguments: sub(args, tree.base) }, makeState(), ctx);
}

describe('matchesPathGlob', () => {
  it.each([
    ['/a/**', '/a', true],
    ['/a/**', '/a/b/c', true],
    ['/a/**', '/ab', false],
    ['/a/*/c', '/a/b/c', true],
    ['/a/*/c', '/a/b/x/c', false],
    ['/a/**/c', '/a/c', true],
    ['/a/**/c', '/a/x/y/c', true],
    ['/a/**/c', '/a/x/y/d', false],
    ['/a/b*', '/a/b/c', false],
    ['/a/b*', '/a/bc', true],
    ['/data', '/data-evil', false],
    ['/**/id_rsa', '/home/u/.ssh/id_rsa', true],
    ['/**/*.pem', '/etc/ssl/x.pem', true],
    ['/a/?', '/a/bb', false],
  ])('%s against %s: %s', (pattern, p, expected) => {
    expect(matchesPathGlob(p, pattern)).toBe(expected);
  });
});

describe('matchApproval', () => {
  it('matches tool-name globs, first entry first', () => {
    expect(match(['delete_*', 'move_file'], 'move_file', {})).toMatchObject({
      tool: 'move_file',
      entry: 1,
      entryText: 'move_file',
    });
    expect(match(['delete_*'], 'read_file', {})).toBeUndefined();
    expect(match([], 'delete_file', {})).toBeUndefined();
    expect(match([{ tool: 'write_*' }], 'write_file', {})).toMatchObject({ entry: 0 });
  });

  it('asks for a paths entry only when a path argument lies under one of its globs (~ is the home)', () => {
    const approve = [{ tool: 'write_file', paths: ['~/**'] }];
    // home is $B/data/sub; relative paths resolve against the first root ($B/data).
    expect(match(approve, 'write_file', { path: 'sub/new.txt', content: 'x' })).toMatchObject({
      entryText: JSON.stringify(approve[0]),
      path: `${tree.base}/data/sub/new.txt`,
    });
    expect(match(approve, 'write_file', { path: '$B/data/sub/file.txt', content: 'x' })).toBeDefined();
    expect(match(approve, 'write_file', { path: 'notes.txt', content: 'x' })).toBeUndefined();
    expect(match(approve, 'read_file', { path: 'sub/file.txt' })).toBeUndefined();
  });

  it('follows symlinks: a path through a link into the globbed directory is asked for', () => {
    // $B/data/link-in -> sub
    expect(
      match([{ tool: 'write_file', paths: ['$B/data/sub/**'] }], 'write_file', { path: 'link-in/file.txt' }),
    ).toBeDefined();
    // A glob written through a symlinked directory ($B/alias -> .) matches the real path.
    expect(
      match([{ tool: 'write_file', paths: ['$B/alias/ro/**'] }], 'write_file', { path: '$B/ro/readme.txt' }),
    ).toBeDefined();
  });

  it('checks every path argument (move_file destination) and file: URIs', () => {
    const approve = [{ tool: 'move_file', paths: ['$B/data/sub/**'] }];
    expect(
      match(approve, 'move_file', { source: '$B/data/notes.txt', destination: '$B/data/sub/notes.txt' }),
    ).toMatchObject({ path: `${tree.base}/data/sub/notes.txt` });
    expect(
      match([{ tool: 'read_*', paths: ['$B/data/sub/**'] }], 'read_resource', {
        uri: 'file://$B/data/sub/file.txt',
      }),
    ).toBeDefined();
  });

  it('ignores plain text that cannot name a file', () => {
    expect(match([{ tool: 'search', paths: ['/**'] }], 'search', { query: 'hello world' })).toBeUndefined();
  });
});

describe('policy.approve schema', () => {
  const problems = (policy: unknown): string => {
    const parsed = PolicySchema.safeParse(policy);
    return parsed.success ? '' : formatZodError(parsed.error, 'policy');
  };

  it('accepts the documented forms', () => {
    expect(
      problems({
        approve: ['delete_*', 'move_file', { tool: 'write_file', paths: ['~/Documents/**'] }],
        approveFallback: 'allow',
        approveTimeoutMs: 30_000,
      }),
    ).toBe('');
  });

  it.each([
    [
      { approve: [{ tool: 'write_file', paths: ['Documents/**'] }] },
      'policy.approve[0].paths[0]: must be an absolute path glob',
    ],
    [
      { approve: [{ tool: 'write_file', paths: ['~/a/../b'] }] },
      'policy.approve[0].paths[0]: must not contain "." or ".."',
    ],
    [{ approve: [{ tool: 'write_file', path: ['/x'] }] }, 'policy.approve[0]: Unrecognized key'],
    [
      { approve: [{ tool: 'write_file', paths: [] }] },
      'policy.approve[0].paths: must name at least one path glob',
    ],
    [{ approveFallback: 'ask' }, 'policy.approveFallback'],
    [{ approveTimeoutMs: 10 }, 'policy.approveTimeoutMs'],
  ])('refuses %j naming where', (policy, expected) => {
    expect(problems(policy)).toContain(expected);
  });
});
