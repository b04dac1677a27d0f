import type { Policy } from '../../config/policy-schema.ts';
import type { JsonRpcRequest } from '../../protocol/json-rpc.ts';
import type { Verdict } from '../types.ts';
import { isRecord } from './shared.ts';

/** Client capabilities that invite server requests, and the request each one enables. */
const GATED: readonly (readonly [capability: string, serverRequest: string])[] = [
  ['sampling', 'sampling/createMessage'],
  ['elicitation', 'elicitation/create'],
  ['roots', 'roots/list'],
];

/**
 * initialize: hide the client capabilities whose server requests the policy forbids, so a
 * well-behaved server never asks for them. Plain allow when nothing changes.
 */
export function rewriteInitialize(message: JsonRpcRequest, policy: Policy): Verdict {
  const params = message.params;
  if (!isRecord(params) || !isRecord(params.capabilities)) return { action: 'allow' };
  const capabilities = { ...params.capabilities };
  let changed = false;
  for (const [capability, serverRequest] of GATED) {
    if (Object.hasOwn(capabilities, capability) && !policy.methods.serverRequests.includes(serverRequest)) {
      delete capabilities[capability];
      changed = true;
    }
  }
  if (!changed) return { action: 'allow' };
  return { action: 'allow', rewrite: { ...message, params: { ...params, capabilities } } };
}
