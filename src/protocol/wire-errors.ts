import type { JsonRpcErrorResponse, JsonRpcId } from './json-rpc.ts';

/** JSON-RPC error code for a request the policy denied. */
export const POLICY_ERROR_CODE = -32001;
/** JSON-RPC error code for in-flight requests failed because the sandbox was killed. */
export const TERMINATED_ERROR_CODE = -32002;

const MAX_REASON_LENGTH = 300;
const MAX_RULE_LENGTH = 100;

// C0, DEL, C1, bidi embeddings/overrides/isolates and marks, line/paragraph separators: anything that
// could move a terminal cursor, recolour it, or visually reorder the text a human reads.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `{"jsonrpc":"2.0","id":ID,"error":{"code":-32001,"message":"mcp-warden: <reason>","data":{"rule":"<rule>"}}}`.
 * `id` is null when the offending message's id is unknown. `reason` may hold user data: it is
 * capped and control characters are made visible (see {@link sanitizeReason}).
 */
export function policyError(id: JsonRpcId | null, rule: string, reason: string): JsonRpcErrorResponse {
  return errorResponse(id, POLICY_ERROR_CODE, `mcp-warden: ${sanitizeReason(reason)}`, rule);
}

/** Like {@link policyError} with code -32002 and message "mcp-warden: sandbox terminated: <reason>". */
export function terminatedError(id: JsonRpcId | null, rule: string, reason: string): JsonRpcErrorResponse {
  return errorResponse(
    id,
    TERMINATED_ERROR_CODE,
    `mcp-warden: sandbox terminated: ${sanitizeReason(reason)}`,
    rule,
  );
}

/** `JSON.stringify(value) + "\n"` as UTF-8 bytes. Throws TypeError for values JSON cannot encode. */
export function encodeLine(value: unknown): Buffer {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError('encodeLine: value is not JSON-serialisable');
  return Buffer.from(`${text}\n`, 'utf8');
}

/**
 * Make text safe to show a human: unsafe characters become `\uXXXX` escapes, then the result is
 * capped at `max` characters (ending in "…" when cut, never inside a surrogate pair).
 */
export function sanitizeReason(text: string, max: number = MAX_REASON_LENGTH): string {
  // Cut first so a huge input costs O(max), then again after escaping (escapes lengthen it).
  const escaped = cap(text, max).replace(
    UNSAFE_CHARS,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return cap(escaped, max);
}

function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // do not split a surrogate pair
  return `${text.slice(0, end)}…`;
}

function errorResponse(
  id: JsonRpcId | null,
  code: number,
  message: string,
  rule: string,
): JsonRpcErrorResponse {
  return {
    jsonrpc: '2.0',
    id,
    error: { code, message, data: { rule: sanitizeReason(rule, MAX_RULE_LENGTH) } },
  };
}
