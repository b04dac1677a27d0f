import { describe, expect, it } from 'vitest';
import { PolicySchema } from '../../../src/config/policy-schema.ts';
import { observeRequest } from '../../../src/learn/observe-request.ts';
import { learnTools } from '../../../src/policy/tool-info.ts';
import type { PolicyContext, SessionView } from '../../../src/policy/types.ts';
import type { JsonRpcMessage } from '../../../src/protocol/json-rpc.ts';

// A fake host: /data/docs and /data/real are directories, /data/link → /data/real.
const dirs = new Set(['/', '/data', '/data/docs', '/data/real']);
const ctx: PolicyContext = {
  policy: PolicySchema.parse({}),
  roots: [{ path: '/data', realPath: '/data', readOnly: false }],
  home: '/home/u',
  realpath: (p) => (dirs.has(p) ? p : undefined),
  readlink: (p) => (p === '/data/link' ? '/data/real' : undefined),
};
const tools = learnTools({
  tools: [
    {
      name: 'read_file',
      inputSchema: { type: 'object', properties: { path: { type: 'string' }, note: { type: 'string' } } },
    },
  ],
});
const state = { tools } as unknown as SessionView;
const host = { isDirectory: (p: string) => dirs.has(p) };
const request = (method: string, params: object): JsonRpcMessage =>
  ({ kind: 'request', message: { jsonrpc: '2.0', id: 1, method, params } }) as JsonRpcMessage;

describe('observeRequest', () => {
  it('reads a call as the policy anchors it: path arguments (relative too), symlinks followed, the directory needed', () => {
    const seen = observeRequest(
      request('tools/call', { name: 'read_file', arguments: { path: 'docs/a.txt', note: 'plain words' } }),
      { action: 'allow' },
      state,
      ctx,
      host,
    );
    expect(seen).toEqual({
      event: 'learn.request',
      method: 'tools/call',
      tool: 'read_file',
      verdict: 'allow',
      writes: false,
      paths: [{ at: 'arguments.path', real: '/data/docs/a.txt', dir: '/data/docs' }],
    });
    const linked = observeRequest(
      request('tools/call', { name: 'write_file', arguments: { path: '/data/link/new/x.txt' } }),
      { action: 'allow' },
      state,
      ctx,
      host,
    );
    expect(linked).toMatchObject({
      writes: true,
      paths: [{ real: '/data/real/new/x.txt', dir: '/data/real' }],
    });
  });

  it('records denials with their rule, and paths of other methods (file: URIs)', () => {
    const denied = observeRequest(
      request('tools/call', { name: 'read_file', arguments: { path: '/etc/passwd' } }),
      { action: 'deny', rule: 'path.outside-root', reason: 'arguments.path is outside the allowed roots' },
      state,
      ctx,
      host,
    );
    expect(denied).toMatchObject({
      verdict: 'deny',
      rule: 'path.outside-root',
      paths: [{ real: '/etc/passwd', dir: '/' }],
    });
    const read = observeRequest(
      request('resources/read', { uri: 'file:///data/docs/r.md' }),
      { action: 'allow' },
      state,
      ctx,
      host,
    );
    expect(read).toMatchObject({
      method: 'resources/read',
      paths: [{ at: 'uri', real: '/data/docs/r.md', dir: '/data/docs' }],
    });
    expect(read?.tool).toBeUndefined();
  });

  it('ignores responses and notifications', () => {
    const note = {
      kind: 'notification',
      message: { jsonrpc: '2.0', method: 'notifications/initialized' },
    } as JsonRpcMessage;
    expect(observeRequest(note, { action: 'allow' }, state, ctx, host)).toBeUndefined();
  });
});
