import type { Policy } from '../../config/policy-schema.ts';
import type { JsonRpcResultResponse } from '../../protocol/json-rpc.ts';
import { matchesGlob } from '../glob.ts';
import type { ToolsReview, Verdict } from '../types.ts';
import { clip, isRecord, reject } from './shared.ts';
import type { Rejection } from './shared.ts';

/** A tool may be called when its name matches some allow glob and no deny glob. */
export function isToolCallable(name: unknown, policy: Policy): name is string {
  return (
    typeof name === 'string' && matchesGlob(name, policy.tools.allow) && !matchesGlob(name, policy.tools.deny)
  );
}

/** tools/call: params.name must be a callable tool. */
export function checkToolCall(params: unknown, policy: Policy): Rejection | undefined {
  const name = isRecord(params) ? params.name : undefined;
  if (isToolCallable(name, policy)) return undefined;
  const shown = typeof name === 'string' ? `"${clip(name, 100)}"` : '(no name)';
  return reject('deny', 'tool.not-allowed', `tool ${shown} is not allowed`);
}

/**
 * tools/list result: drop the tools the client may not call so the model never sees them.
 * Entries without a string name are dropped too. Plain allow when nothing is removed.
 */
export function filterToolsList(message: JsonRpcResultResponse, policy: Policy): Verdict {
  return filterListedTools(message, policy, undefined);
}

/**
 * Like {@link filterToolsList}, after `review` (tool pinning and poison checks, rules/tool-definitions.ts)
 * has dropped withheld tools; the review travels with the verdict for the supervisor to record.
 */
export function filterListedTools(
  message: JsonRpcResultResponse,
  policy: Policy,
  review: ((tools: readonly unknown[]) => { kept: unknown[]; review: ToolsReview }) | undefined,
): Verdict {
  const tools = message.result.tools;
  if (!Array.isArray(tools)) return { action: 'allow' };
  const reviewed = review?.(tools);
  const kept = (reviewed?.kept ?? tools).filter(
    (tool) => isRecord(tool) && isToolCallable(tool.name, policy),
  );
  const extra = reviewed ? { tools: reviewed.review } : {};
  if (kept.length === tools.length) return { action: 'allow', ...extra };
  return { action: 'allow', rewrite: { ...message, result: { ...message.result, tools: kept } }, ...extra };
}
