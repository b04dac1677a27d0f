import { matchesGlob } from '../glob.ts';
import { anchorReading } from '../paths/anchor.ts';
import { MESSAGE_EXPANSION_CHARS } from '../paths/braces.ts';
import type { ExpansionBudget } from '../paths/braces.ts';
import { createResolver } from '../paths/resolver.ts';
import type { Resolver } from '../paths/resolver.ts';
import { mayNameFile, siteReading } from '../paths/site-reading.ts';
import type { Role } from '../paths/site-reading.ts';
import { describeSite, walkStrings } from '../paths/walk.ts';
import { isGlobName } from '../tool-info.ts';
import type { PolicyContext, SessionView, ToolInfo } from '../types.ts';
import { clip, isRecord, reject } from './shared.ts';
import type { Rejection } from './shared.ts';

/**
 * Anchor every path in a client message's params (DESIGN "Path anchoring"). Every string, wherever
 * it sits, is read in every spelling a consumer might act on (see siteReading): path-like spellings
 * are anchored, relative names must not leave a root through a symlink, and for tools/call the
 * arguments the tool's schema marks as paths are anchored even when relative. Multi-line strings in
 * a known tool's declared non-path arguments are text: only their single-line spellings count.
 * For tools the policy treats as writing, every anchored path must also land in a read-write root.
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
  let budget: ExpansionBudget | undefined; // likewise, for brace expansion
  return walkStrings(params, isCall, (value, isKey, argument, at) => {
    const role = roleOf(isKey, argument, tool);
    if (role !== 'path' && !mayNameFile(value)) return undefined; // the common case: plain text
    budget ??= { chars: MESSAGE_EXPANSION_CHARS };
    const isGlob = (): boolean =>
      role === 'path' || (!isKey && argument !== undefined && isGlobArgument(argument, tool));
    const reading = siteReading(value, { role, isGlob, budget }, ctx);
    if (reading === undefined) return undefined;
    resolver ??= createResolver(ctx.realpath, ctx.readlink, undefined, ctx.exists);
    const anchoring = anchorReading(reading, ctx, resolver);
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

/** What a string at this site is to the server (see Role); exported for src/learn, which reads calls the same way. */
export function roleOf(isKey: boolean, argument: string | undefined, tool: ToolInfo | undefined): Role {
  if (isKey || tool === undefined || argument === undefined) return 'unknown';
  if (tool.pathParams.has(argument)) return 'path';
  return tool.otherParams.has(argument) ? 'text' : 'unknown';
}

/** True when `argument` is a glob pattern by the tool's schema or by its name. */
export function isGlobArgument(argument: string, tool: ToolInfo | undefined): boolean {
  return tool?.globParams.has(argument) === true || isGlobName(argument);
}
