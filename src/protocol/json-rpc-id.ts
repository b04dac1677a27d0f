import type { JsonRpcId } from './json-rpc-schemas.ts';

/**
 * Request ids, without zod (the session's modules must not load it: start-up time). MCP forbids `null`
 * ids; we further require ids to be strings (at most 256 chars) or safe integers so they survive a
 * round trip through JSON.stringify exactly. JsonRpcIdSchema (json-rpc-schemas.ts) is built from this.
 */
export const MAX_ID_STRING_LENGTH = 256;

/**
 * An id JsonRpcIdSchema certainly accepts. It declines nothing but strings longer than 256 UTF-16
 * units that zod might still take (it counts code points): callers ask zod about those.
 */
export function isJsonRpcId(id: unknown): id is JsonRpcId {
  return typeof id === 'string' ? id.length <= MAX_ID_STRING_LENGTH : Number.isSafeInteger(id);
}

/** Stable map key for an id: 1 and "1" are different ids. */
export function idKey(id: JsonRpcId): string {
  return typeof id === 'number' ? `n:${id}` : `s:${id}`;
}
