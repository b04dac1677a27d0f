import path from 'node:path';
import { matchesGlob } from '../policy/glob.ts';
import { MESSAGE_EXPANSION_CHARS } from '../policy/paths/braces.ts';
import { kernelResolve } from '../policy/paths/kernel.ts';
import { siteReading } from '../policy/paths/site-reading.ts';
import { describeSite, walkStrings } from '../policy/paths/walk.ts';
import { isGlobArgument, roleOf } from '../policy/rules/paths.ts';
import type { PolicyContext, SessionView, Verdict } from '../policy/types.ts';
import type { JsonRpcMessage } from '../protocol/json-rpc.ts';
import { isRecord } from '../util/is-record.ts';
import type { ObservedPath, RequestObservation } from './observations.ts';

/** Paths recorded per request at most: a request naming more is summarised by these. */
const MAX_PATHS = 64;

/** Host lookups beyond the policy context's: is this an existing directory? */
export interface ObserveHost {
  isDirectory: (p: string) => boolean;
}

/**
 * What one client request tells the learner, read the way the policy engine anchors it
 * (rules/paths.ts): every string the policy would anchor, with where it lands on the host
 * (kernelResolve, the policy's own resolution) and the directory that needs. Undefined for responses
 * and notifications. Only reads the host through `ctx.readlink` and `host.isDirectory`.
 */
export function observeRequest(
  message: JsonRpcMessage,
  verdict: Verdict,
  state: SessionView,
  ctx: PolicyContext,
  host: ObserveHost,
): RequestObservation | undefined {
  if (message.kind !== 'request') return undefined;
  const { method, params } = message.message;
  const isCall = method === 'tools/call' && isRecord(params);
  const toolName = isCall && typeof params.name === 'string' ? params.name.slice(0, 128) : undefined;
  const tool = toolName === undefined ? undefined : state.tools.get(toolName);
  const paths: ObservedPath[] = [];
  const seen = new Set<string>();
  const budget = { chars: MESSAGE_EXPANSION_CHARS };
  walkStrings(params, isCall, (value, isKey, argument, at) => {
    const role = roleOf(isKey, argument, tool);
    const isGlob = (): boolean =>
      role === 'path' || (!isKey && argument !== undefined && isGlobArgument(argument, tool));
    const reading = siteReading(value, { role, isGlob, budget }, ctx);
    if (reading === undefined || !reading.ok) return undefined;
    for (const raw of reading.paths) {
      const real = kernelResolve(path.posix.resolve(raw), ctx.readlink);
      if (seen.has(real)) continue;
      seen.add(real);
      paths.push({ at: describeSite(at, isKey), real, dir: neededDirectory(real, host) });
      if (paths.length >= MAX_PATHS) return true; // stop the walk
    }
    return undefined;
  });
  return {
    event: 'learn.request',
    method,
    ...(toolName === undefined ? {} : { tool: toolName }),
    verdict: verdict.action,
    ...(verdict.action === 'allow' ? {} : { rule: verdict.rule, reason: verdict.reason }),
    writes: toolName !== undefined && matchesGlob(toolName, ctx.policy.tools.write),
    paths,
  };
}

/** `real` when it is an existing directory, else its nearest existing ancestor directory. */
function neededDirectory(real: string, host: ObserveHost): string {
  for (let dir = real; ; dir = path.posix.dirname(dir)) {
    if (host.isDirectory(dir) || dir === '/') return dir;
  }
}
