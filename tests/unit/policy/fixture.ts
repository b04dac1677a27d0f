import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PolicySchema } from '../../../src/config/policy-schema.ts';
import type { PolicyInput as PolicyFileInput } from '../../../src/config/policy-schema.ts';
import type { ResolvedRoot } from '../../../src/config/root.ts';
import type { JsonRpcId, JsonRpcMessage } from '../../../src/protocol/json-rpc.ts';
import { idKey } from '../../../src/protocol/json-rpc.ts';
import { learnTools } from '../../../src/policy/tool-info.ts';
import { hostPaths } from '../../../src/util/host-paths.ts';
import type {
  PolicyContext,
  PolicyInput,
  SessionView,
  ToolInfo,
  WithheldTool,
} from '../../../src/policy/types.ts';

/**
 * A real directory tree for path tests:
 *   $B/data/            rw root (first root)   sub/file.txt, notes.txt
 *   $B/data/link-out -> /etc        $B/data/link-in -> sub
 *   $B/data/link-ro  -> ../ro       $B/data/link-evil -> ../data-evil
 *   $B/data-evil/secret.txt        sibling sharing the "data" string prefix
 *   $B/ro/readme.txt                ro root, configured through the symlinked parent $B/alias -> .
 * home is $B/data/sub, so "~" is inside the roots.
 */
export interface Tree {
  base: string;
  roots: ResolvedRoot[];
  home: string;
}

export function makeTree(): Tree {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'warden-policy-')));
  const at = (p: string) => path.join(base, p);
  fs.mkdirSync(at('data/sub'), { recursive: true });
  fs.mkdirSync(at('data-evil'));
  fs.mkdirSync(at('ro'));
  fs.writeFileSync(at('data/sub/file.txt'), 'x');
  fs.writeFileSync(at('data/notes.txt'), 'x');
  fs.writeFileSync(at('data-evil/secret.txt'), 'x');
  fs.writeFileSync(at('ro/readme.txt'), 'x');
  fs.symlinkSync('/etc', at('data/link-out'));
  fs.symlinkSync('sub', at('data/link-in'));
  fs.symlinkSync('../ro', at('data/link-ro'));
  fs.symlinkSync('../data-evil', at('data/link-evil'));
  fs.symlinkSync('.', at('alias'));
  return {
    base,
    home: at('data/sub'),
    roots: [
      { path: at('data'), realPath: at('data'), readOnly: false },
      { path: at('alias/ro'), realPath: at('ro'), readOnly: true },
    ],
  };
}

export function removeTree(tree: Tree | undefined): void {
  if (tree) fs.rmSync(tree.base, { recursive: true, force: true });
}

export function makeCtx(
  tree: Tree,
  overrides: { policy?: PolicyFileInput; roots?: ResolvedRoot[] } = {},
): PolicyContext {
  return {
    policy: PolicySchema.parse(overrides.policy ?? {}),
    roots: overrides.roots ?? tree.roots,
    home: tree.home,
    realpath: hostPaths.realpath,
    readlink: hostPaths.readlink,
    exists: hostPaths.exists,
  };
}

/** Replace every "$B" in strings (values and keys, any depth) with the tree's base directory. */
export function sub<T>(value: T, base: string): T {
  return JSON.parse(JSON.stringify(value).replaceAll('$B', base)) as T;
}

/** The tools a typical filesystem server lists. */
export const TOOLS_LIST = {
  tools: [
    { name: 'read_file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
    {
      name: 'write_file',
      inputSchema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } } },
    },
    {
      name: 'move_file',
      inputSchema: {
        type: 'object',
        properties: { source: { type: 'string' }, destination: { type: 'string' } },
      },
    },
    { name: 'create_directory', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
    {
      name: 'search',
      inputSchema: {
        type: 'object',
        properties: { query: { type: 'string', description: 'Text to look for' } },
      },
    },
  ],
};

export interface StateInit {
  tools?: Map<string, ToolInfo>;
  clientInFlight?: [JsonRpcId, string][];
  serverInFlight?: [JsonRpcId, string][];
  abandoned?: JsonRpcId[];
  pins?: Map<string, string>;
  withheld?: Map<string, WithheldTool>;
}

export function makeState(init: StateInit = {}): SessionView {
  return {
    tools: init.tools ?? learnTools(TOOLS_LIST),
    clientInFlight: new Map((init.clientInFlight ?? []).map(([id, method]) => [idKey(id), { method }])),
    serverInFlight: new Map((init.serverInFlight ?? []).map(([id, method]) => [idKey(id), { method }])),
    abandoned: new Set((init.abandoned ?? []).map(idKey)),
    pins: init.pins ?? new Map(),
    withheld: init.withheld ?? new Map(),
  };
}

export function request(method: string, params?: Record<string, unknown>, id: JsonRpcId = 1): JsonRpcMessage {
  const message =
    params === undefined
      ? { jsonrpc: '2.0' as const, id, method }
      : { jsonrpc: '2.0' as const, id, method, params };
  return { kind: 'request', message };
}

export function notification(method: string, params?: Record<string, unknown>): JsonRpcMessage {
  const message =
    params === undefined ? { jsonrpc: '2.0' as const, method } : { jsonrpc: '2.0' as const, method, params };
  return { kind: 'notification', message };
}

export function result(id: JsonRpcId, value: Record<string, unknown>): JsonRpcMessage {
  return { kind: 'result', message: { jsonrpc: '2.0', id, result: value } };
}

export function errorResponse(id: JsonRpcId | null): JsonRpcMessage {
  return { kind: 'error', message: { jsonrpc: '2.0', id, error: { code: -1, message: 'x' } } };
}

export function call(name: string, args: Record<string, unknown>, id: JsonRpcId = 1): JsonRpcMessage {
  return request('tools/call', { name, arguments: args }, id);
}

export function fromClient(message: JsonRpcMessage): PolicyInput {
  return { direction: 'client', message, bytes: Buffer.byteLength(JSON.stringify(message.message)) };
}

export function fromServer(message: JsonRpcMessage): PolicyInput {
  return { direction: 'server', message, bytes: Buffer.byteLength(JSON.stringify(message.message)) };
}
