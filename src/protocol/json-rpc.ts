import { z } from 'zod';

/**
 * JSON-RPC 2.0 message shapes as MCP uses them. MCP forbids `null` ids; we further require ids to be
 * strings (at most 256 chars) or safe integers so they survive a round trip through JSON.stringify exactly.
 */
export const MAX_ID_STRING_LENGTH = 256;

export const JsonRpcIdSchema = z
  .union([
    z.string().max(MAX_ID_STRING_LENGTH),
    z.number().int().refine(Number.isSafeInteger, 'unsafe integer'),
  ])
  .describe('Request id: a string of at most 256 characters or a safe integer');
export type JsonRpcId = z.infer<typeof JsonRpcIdSchema>;

const ParamsSchema = z
  .union([z.record(z.string(), z.unknown()), z.array(z.unknown())])
  .describe('Method parameters: an object (MCP) or an array');

export const JsonRpcRequestSchema = z
  .object({
    jsonrpc: z.literal('2.0'),
    id: JsonRpcIdSchema,
    method: z.string().min(1),
    params: ParamsSchema.optional(),
  })
  .strict();
export type JsonRpcRequest = z.infer<typeof JsonRpcRequestSchema>;

export const JsonRpcNotificationSchema = z
  .object({
    jsonrpc: z.literal('2.0'),
    method: z.string().min(1),
    params: ParamsSchema.optional(),
  })
  .strict();
export type JsonRpcNotification = z.infer<typeof JsonRpcNotificationSchema>;

export const JsonRpcErrorObjectSchema = z
  .object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() })
  .strict();

export const JsonRpcResultResponseSchema = z
  .object({ jsonrpc: z.literal('2.0'), id: JsonRpcIdSchema, result: z.record(z.string(), z.unknown()) })
  .strict();
export type JsonRpcResultResponse = z.infer<typeof JsonRpcResultResponseSchema>;

export const JsonRpcErrorResponseSchema = z
  .object({
    jsonrpc: z.literal('2.0'),
    // A parse error may be answered with id null (JSON-RPC 2.0 §5).
    id: z.union([JsonRpcIdSchema, z.null()]),
    error: JsonRpcErrorObjectSchema,
  })
  .strict();
export type JsonRpcErrorResponse = z.infer<typeof JsonRpcErrorResponseSchema>;

/** A message after validation, tagged by kind so callers never re-inspect field presence. */
export type JsonRpcMessage =
  | { kind: 'request'; message: JsonRpcRequest }
  | { kind: 'notification'; message: JsonRpcNotification }
  | { kind: 'result'; message: JsonRpcResultResponse }
  | { kind: 'error'; message: JsonRpcErrorResponse };

export type ClassifyResult = { ok: true; value: JsonRpcMessage } | { ok: false; reason: string };

/**
 * Classify an already-parsed JSON object as one JSON-RPC message kind, or explain why it is none.
 * The caller guarantees `value` is a plain object (framing rejects arrays and scalars).
 *
 * Same outcome as {@link classifyWithSchemas}; the common, valid message takes a hand-written fast path.
 */
export function classifyMessage(value: Record<string, unknown>): ClassifyResult {
  const fast = fastClassify(value);
  return fast ? { ok: true, value: fast } : classifyWithSchemas(value);
}

/**
 * {@link classifyMessage} by the zod schemas alone: the reference the fast path is tested against, and
 * the source of every rejection reason.
 */
export function classifyWithSchemas(value: Record<string, unknown>): ClassifyResult {
  const hasMethod = 'method' in value;
  const hasId = 'id' in value;
  if (hasMethod) {
    const schema = hasId ? JsonRpcRequestSchema : JsonRpcNotificationSchema;
    const parsed = schema.safeParse(value);
    if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error) };
    return hasId
      ? { ok: true, value: { kind: 'request', message: parsed.data as JsonRpcRequest } }
      : { ok: true, value: { kind: 'notification', message: parsed.data as JsonRpcNotification } };
  }
  if ('result' in value) {
    const parsed = JsonRpcResultResponseSchema.safeParse(value);
    if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error) };
    return { ok: true, value: { kind: 'result', message: parsed.data } };
  }
  if ('error' in value) {
    const parsed = JsonRpcErrorResponseSchema.safeParse(value);
    if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error) };
    return { ok: true, value: { kind: 'error', message: parsed.data } };
  }
  return {
    ok: false,
    reason: 'not a JSON-RPC request, notification or response (no method, result or error)',
  };
}

/**
 * The schemas above, by hand, for messages that pass them: zod costs ~10% of the warden's CPU. Returns
 * undefined when the message fails or the answer is in doubt, and the caller asks zod, so the schemas
 * stay the only judge of a rejection and its reason. Equivalence is tested over random messages
 * (tests/unit/protocol/fast-classify.test.ts).
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
      if (!isId(id) || !onlyKeys(value, 'jsonrpc', 'id', 'method', 'params')) return undefined;
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
    if (!isId(id) || !onlyKeys(value, 'jsonrpc', 'id', 'result', 'result')) return undefined;
    const result = copyRecord(value.result);
    if (result === undefined) return undefined;
    return { kind: 'result', message: { jsonrpc: '2.0', id, result } };
  }
  if ('error' in value) {
    if ((id !== null && !isId(id)) || !onlyKeys(value, 'jsonrpc', 'id', 'error', 'error')) return undefined;
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
  if (isId(candidate)) return candidate;
  const result = JsonRpcIdSchema.safeParse(candidate);
  return result.success ? result.data : undefined;
}

function isId(id: unknown): id is JsonRpcId {
  return typeof id === 'string' ? id.length <= MAX_ID_STRING_LENGTH : Number.isSafeInteger(id);
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

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid JSON-RPC message';
  const where = issue.path.length > 0 ? issue.path.join('.') : 'message';
  return `${where}: ${issue.message}`;
}

/** Stable map key for an id: 1 and "1" are different ids. */
export function idKey(id: JsonRpcId): string {
  return typeof id === 'number' ? `n:${id}` : `s:${id}`;
}
