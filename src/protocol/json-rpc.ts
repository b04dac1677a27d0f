import { createRequire } from 'node:module';
import { isJsonRpcId } from './json-rpc-id.ts';
import type * as SchemasModule from './json-rpc-schemas.ts';
import type {
  ClassifyResult,
  JsonRpcId,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
} from './json-rpc-schemas.ts';

/**
 * JSON-RPC messages on the hot path, without zod: loading zod costs ~25 ms, paid after the sandbox
 * is spawned but before the first message can be relayed, on every session. The zod schemas
 * (json-rpc-schemas.ts) stay the source of truth: valid messages are accepted here by hand (tested to
 * agree), and the schemas are loaded on the first message that fails here, to decide it and word why.
 */
export type {
  ClassifyResult,
  JsonRpcErrorResponse,
  JsonRpcId,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResultResponse,
} from './json-rpc-schemas.ts';
export { idKey, MAX_ID_STRING_LENGTH } from './json-rpc-id.ts';

type Schemas = typeof SchemasModule;
let loaded: Schemas | undefined;

/**
 * The zod schemas, loaded synchronously on first use (require of an ES module: parseLine is
 * synchronous; Node ≥ 22.12, checked in main.ts). The extension follows this file's: .ts when running
 * the sources, .js when built.
 */
function schemas(): Schemas {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  loaded ??= createRequire(import.meta.url)(`./json-rpc-schemas${extension}`) as Schemas;
  return loaded;
}

/**
 * Classify an already-parsed JSON object as one JSON-RPC message kind, or explain why it is none.
 * The caller guarantees `value` is a plain object (framing rejects arrays and scalars).
 *
 * Same outcome as classifyWithSchemas (json-rpc-schemas.ts); the common, valid message takes a
 * hand-written fast path.
 */
export function classifyMessage(value: Record<string, unknown>): ClassifyResult {
  const fast = fastClassify(value);
  return fast ? { ok: true, value: fast } : schemas().classifyWithSchemas(value);
}

/**
 * The schemas (json-rpc-schemas.ts), by hand, for messages that pass them: zod cost ~10% of the
 * warden's CPU. Returns undefined when the message fails or the answer is in doubt, and the caller
 * asks zod, so the schemas stay the only judge of a rejection and its reason. Equivalence is tested
 * over random messages (tests/unit/protocol/fast-classify.test.ts).
 *
 * The result is built the way zod builds it: a new message with the schema's keys in schema order (an
 * optional key only when present, even if undefined), a new error object, and params/result copied one
 * level deep (a new record or array); everything below is shared with `value`. No caller mutates a
 * message today (rewrites spread it), but this keeps `message !== value` and a rewrite's output byte-equal.
 *
 * Mirrors zod v4 as installed (probed, not assumed): presence is `in`, unknown keys of a strict object
 * come from `for...in`; a record needs a plain object and takes its own enumerable keys, but drops
 * `__proto__` and rejects symbol keys (we take only a record whose constructor is Object, without those
 * keys, and decline the rest: a null prototype, a `constructor` key); `int()` is a safe integer, -0
 * included (and kept); `max(256)` counts code points, so only strings of ≤ 256 UTF-16 units (≤ 256 code
 * points either way) are taken here. Rejection reasons need zod's issue order, so they are never copied.
 */
export function fastClassify(value: Record<string, unknown>): JsonRpcMessage | undefined {
  if (Array.isArray(value) || value.jsonrpc !== '2.0') return undefined;
  if ('method' in value) {
    const method = value.method;
    if (typeof method !== 'string' || method.length === 0) return undefined;
    const hasParams = 'params' in value;
    let params = value.params;
    if (params !== undefined) {
      params = Array.isArray(params) ? copyArray(params) : copyRecord(params);
      if (params === undefined) return undefined;
    }
    if ('id' in value) {
      const id = value.id;
      if (!isJsonRpcId(id) || !onlyKeys(value, 'jsonrpc', 'id', 'method', 'params')) return undefined;
      const message: JsonRpcRequest = hasParams
        ? { jsonrpc: '2.0', id, method, params: params as JsonRpcRequest['params'] }
        : { jsonrpc: '2.0', id, method };
      return { kind: 'request', message };
    }
    if (!onlyKeys(value, 'jsonrpc', 'method', 'params', 'method')) return undefined;
    const message: JsonRpcNotification = hasParams
      ? { jsonrpc: '2.0', method, params: params as JsonRpcNotification['params'] }
      : { jsonrpc: '2.0', method };
    return { kind: 'notification', message };
  }
  const id = value.id;
  if ('result' in value) {
    if (!isJsonRpcId(id) || !onlyKeys(value, 'jsonrpc', 'id', 'result', 'result')) return undefined;
    const result = copyRecord(value.result);
    if (result === undefined) return undefined;
    return { kind: 'result', message: { jsonrpc: '2.0', id, result } };
  }
  if ('error' in value) {
    if ((id !== null && !isJsonRpcId(id)) || !onlyKeys(value, 'jsonrpc', 'id', 'error', 'error'))
      return undefined;
    const error = value.error;
    if (typeof error !== 'object' || error === null || Array.isArray(error)) return undefined;
    const { code, message } = error as Record<string, unknown>;
    if (!Number.isSafeInteger(code) || typeof message !== 'string') return undefined;
    if (!onlyKeys(error as Record<string, unknown>, 'code', 'message', 'data', 'data')) return undefined;
    const copy =
      'data' in error
        ? { code: code as number, message, data: error.data }
        : { code: code as number, message };
    return { kind: 'error', message: { jsonrpc: '2.0', id, error: copy } };
  }
  return undefined;
}

/**
 * `JsonRpcIdSchema.safeParse(candidate).data` (undefined when invalid), with zod asked only about
 * the unusual id (a long string, or no string or safe integer).
 */
export function validJsonRpcId(candidate: unknown): JsonRpcId | undefined {
  return isJsonRpcId(candidate) ? candidate : schemas().parseIdWithSchema(candidate);
}

/**
 * Whether every key `for...in` yields (zod's unknown-key test for a strict object) is one of four
 * (repeat one for three); fixed parameters, as a rest array would allocate on every message.
 */
function onlyKeys(object: Record<string, unknown>, a: string, b: string, c: string, d: string): boolean {
  for (const key in object) {
    if (key !== a && key !== b && key !== c && key !== d) return false;
  }
  return true;
}

/** zod's copy of a `z.record(z.string(), z.unknown())`, or undefined to let zod decide. */
function copyRecord(candidate: unknown): Record<string, unknown> | undefined {
  if (typeof candidate !== 'object' || candidate === null || candidate.constructor !== Object)
    return undefined;
  if (Object.hasOwn(candidate, '__proto__') || Object.getOwnPropertySymbols(candidate).length > 0) {
    return undefined;
  }
  // Spread copies own enumerable keys in zod's order; the checks above rule out where they differ.
  return { ...candidate };
}

/** zod's copy of a `z.array(z.unknown())`: a new dense array (no `slice`, which keeps holes and subclasses). */
function copyArray(array: unknown[]): unknown[] {
  const copy = new Array<unknown>(array.length);
  for (let i = 0; i < array.length; i++) copy[i] = array[i];
  return copy;
}
