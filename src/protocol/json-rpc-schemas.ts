import { z } from 'zod';
import { MAX_ID_STRING_LENGTH } from './json-rpc-id.ts';

/**
 * JSON-RPC 2.0 message shapes as MCP uses them: the single source of truth for message types and for
 * the wording of every rejection. The hot path (json-rpc.ts) accepts valid messages by hand and loads
 * this module only when a message fails there; tests hold the two to the same answers.
 */

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
 * classifyMessage (json-rpc.ts) by the zod schemas alone: the reference the fast path is tested against, and
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

/** `JsonRpcIdSchema.safeParse(candidate).data`: the id, or undefined when it is not a valid id. */
export function parseIdWithSchema(candidate: unknown): JsonRpcId | undefined {
  const result = JsonRpcIdSchema.safeParse(candidate);
  return result.success ? result.data : undefined;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid JSON-RPC message';
  const where = issue.path.length > 0 ? issue.path.join('.') : 'message';
  return `${where}: ${issue.message}`;
}
