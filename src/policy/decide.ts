import { idKey } from '../protocol/json-rpc.ts';
import type { JsonRpcMessage } from '../protocol/json-rpc.ts';
import { rewriteInitialize } from './rules/capabilities.ts';
import {
  checkClientRequestId,
  checkClientResponseId,
  checkServerRequestId,
  checkServerResponseId,
} from './rules/ids.ts';
import { checkClientMethod, checkServerMethod } from './rules/methods.ts';
import { checkRequestPaths } from './rules/paths.ts';
import { checkResultUris, checkUpdatedUri } from './rules/response-uris.ts';
import { checkArgumentSizes } from './rules/sizes.ts';
import { checkWithheldTool, reviewToolDefinitions } from './rules/tool-definitions.ts';
import { checkToolCall, filterListedTools } from './rules/tools.ts';
import type { PolicyContext, PolicyInput, SessionView, Verdict } from './types.ts';

/**
 * The policy decision for one message. Pure: reads `state` and `ctx`, never mutates them, does no
 * I/O beyond `ctx.realpath`. Rules run cheapest first; the first objection wins.
 * Client breaches deny; server breaches kill (except a late answer to an abandoned request,
 * which is denied so the supervisor drops it quietly).
 */
export function decide(input: PolicyInput, state: SessionView, ctx: PolicyContext): Verdict {
  return input.direction === 'client'
    ? decideClient(input.message, input.bytes, state, ctx)
    : decideServer(input.message, state, ctx);
}

function decideClient(input: JsonRpcMessage, bytes: number, state: SessionView, ctx: PolicyContext): Verdict {
  if (input.kind === 'result' || input.kind === 'error') {
    return checkClientResponseId(input.message.id, state) ?? allow();
  }
  const { method, params } = input.message;
  const rejection =
    checkClientMethod(method, ctx.policy) ??
    (input.kind === 'request' ? checkClientRequestId(input.message.id, state) : undefined) ??
    (method === 'tools/call'
      ? (checkToolCall(params, ctx.policy) ?? checkWithheldTool(params, state))
      : undefined) ??
    // No decoded string is longer in UTF-8 than the raw line (JSON escapes only shrink), so a line
    // within the argument limit needs no walk.
    (bytes > ctx.policy.limits.argumentBytes
      ? checkArgumentSizes(params, ctx.policy.limits.argumentBytes)
      : undefined) ??
    checkRequestPaths(method, params, state, ctx);
  if (rejection) return rejection;
  if (input.kind === 'request' && method === 'initialize')
    return rewriteInitialize(input.message, ctx.policy);
  return allow();
}

function decideServer(input: JsonRpcMessage, state: SessionView, ctx: PolicyContext): Verdict {
  switch (input.kind) {
    case 'error':
      return checkServerResponseId(input.message.id, state) ?? allow();
    case 'result': {
      const { id, result } = input.message;
      const rejection = checkServerResponseId(id, state);
      if (rejection) return rejection;
      const method = state.clientInFlight.get(idKey(id))?.method;
      if (method === 'tools/list') {
        const guards = ctx.policy.guards;
        const review =
          guards.pinTools || guards.poisonedTools !== 'off'
            ? (tools: readonly unknown[]) => reviewToolDefinitions(tools, state, ctx)
            : undefined;
        return filterListedTools(input.message, ctx.policy, review);
      }
      return checkResultUris(method, result, ctx) ?? allow();
    }
    case 'request':
      return (
        checkServerMethod('request', input.message.method, ctx.policy) ??
        checkServerRequestId(input.message.id, state) ??
        allow()
      );
    case 'notification': {
      const { method, params } = input.message;
      const rejection = checkServerMethod('notification', method, ctx.policy);
      if (rejection) return rejection;
      if (method === 'notifications/resources/updated') return checkUpdatedUri(params, ctx) ?? allow();
      return allow();
    }
  }
}

function allow(): Verdict {
  return { action: 'allow' };
}
