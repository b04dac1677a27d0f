import { matchesGlob } from '../glob.ts';
import { anchorValue } from '../paths/anchor.ts';
import { isPathLike } from '../paths/forms.ts';
import { createResolver } from '../paths/resolver.ts';
import type { Resolver } from '../paths/resolver.ts';
import { describeSite, walkStrings } from '../paths/walk.ts';
import type { PolicyContext, SessionView, ToolInfo } from '../types.ts';
import { clip, isRecord, reject } from './shared.ts';
import type { Rejection } from './shared.ts';

/**
 * Anchor every path in a client message's params (DESIGN "Path anchoring"). Path-like strings are
 * checked wherever they sit; for tools/call, arguments the tool's schema marks as paths are checked
 * even when relative. Multi-line strings in a known tool's non-path arguments are text, not paths.
 * For tools the policy treats as writing, every checked path must also land in a read-write root.
 */
export function checkRequestPaths(
  method: string,
  params: unknown,
  state: SessionView,
  ctx: PolicyContext,
): Rejection | undefined {
  const isCall = method === 'tools/call' && isRecord(params);
  const toolName = isCall && typeof params.name === 'string' ? params.name : undefined;
  const tool = toolName === undefined ? undefined : state.tools.get(toolName);
  const writes = toolName !== undefined && matchesGlob(toolName, ctx.policy.tools.write);
  let resolver: Resolver | undefined; // one per message, made when the first path needs anchoring
  return walkStrings(params, isCall, (value, isKey, argument, at) => {
    if (!mustCheck(value, isKey, argument, tool)) return undefined;
    resolver ??= createResolver(ctx.realpath, ctx.readlink);
    const anchoring = anchorValue(value, ctx, resolver);
    if (!anchoring.inside) {
      return reject('deny', 'path.outside-root', `${describeSite(at, isKey)} ${anchoring.why}`, value);
    }
    if (writes && anchoring.readOnly) {
      const why = `is in a read-only root and ${clip(toolName, 60)} writes`;
      return reject('deny', 'path.read-only', `${describeSite(at, isKey)} ${why}`, value);
    }
    return undefined;
  });
}

function mustCheck(
  value: string,
  isKey: boolean,
  argument: string | undefined,
  tool: ToolInfo | undefined,
): boolean {
  if (isKey || tool === undefined || argument === undefined) return isPathLike(value);
  if (tool.pathParams.has(argument)) return true;
  if (tool.otherParams.has(argument) && /[\n\r]/.test(value)) return false; // file contents, not a path
  return isPathLike(value);
}
