import type { JsonRpcId } from './json-rpc-schemas.ts';

/**
 * Ids of the requests the warden itself sends to the client (elicitation/create for approvals). They
 * share the id space of the server's own server→client requests, so the prefix is reserved: a server
 * request using it is a breach (rules/ids.ts), and a client response to such an id is the warden's,
 * never forwarded to the server.
 */
export const WARDEN_CLIENT_REQUEST_PREFIX = 'mcp-warden-approval-';

/** True when `id` lies in the warden's reserved id space for requests to the client. */
export function isWardenClientRequestId(id: JsonRpcId | null | undefined): id is string {
  return typeof id === 'string' && id.startsWith(WARDEN_CLIENT_REQUEST_PREFIX);
}
