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
import { guardServerContent } from './rules/server-content.ts';
import { checkArgumentSizes } from './rules/sizes.ts';
import {
  checkWithheldTool,
  reviewOtherDefinitions,
  reviewToolDefinitions,
} from './rules/tool-definitions.ts';
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
    : decideServerMessage(
        input.message,
        state,
        ctx,
        input.text === undefined ? undefined : { text: input.text, bytes: input.bytes },
      );
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

/**
 * A server message: its structure first (ids, methods, listings), then one walk over every string of
 * what would be forwarded (rules/server-content.ts: links, escapes, secrets).
 */
function decideServerMessage(
  input: JsonRpcMessage,
  state: SessionView,
  ctx: PolicyContext,
  line: { text: string; bytes: number } | undefined,
): Verdict {
  const verdict = decideServer(input, state, ctx);
  if (verdict.action !== 'allow') return verdict;
  return guardServerContent(verdict, input.message, ctx, line);
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
      const reviewed = reviewOtherDefinitions(method, result, ctx);
      if (!reviewed) return allow();
      return {
        action: 'allow',
        rewrite: { ...input.message, result: reviewed.result },
        withheld: reviewed.withheld,
      };
    }
    case 'request':
      return (
        checkServerMethod('request', input.message.method, ctx.policy) ??
        checkServerRequestId(input.message.id, state) ??
        allow()
      );
    case 'notification': {
      const rejection = checkServerMethod('notification', input.message.method, ctx.policy);
      if (rejection) return rejection;
      return allow();
    }
  }
}

function allow(): Verdict {
  return { action: 'allow' };
}
