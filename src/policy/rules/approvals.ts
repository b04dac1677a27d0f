import path from 'node:path';
import type { ApproveEntry } from '../../config/approve-schema.ts';
import { matchesGlob } from '../glob.ts';
import { literalPrefix, matchesPathGlob } from '../path-glob.ts';
import { MESSAGE_EXPANSION_CHARS } from '../paths/braces.ts';
import type { ExpansionBudget } from '../paths/braces.ts';
import { kernelResolve } from '../paths/kernel.ts';
import { createResolver } from '../paths/resolver.ts';
import type { Resolver } from '../paths/resolver.ts';
import { siteReading } from '../paths/site-reading.ts';
import type { Role } from '../paths/site-reading.ts';
import { walkStrings } from '../paths/walk.ts';
import { isGlobName } from '../tool-info.ts';
import type { PolicyContext, SessionView, ToolInfo } from '../types.ts';
import { isRecord } from './shared.ts';

/** A tools/call that policy.approve says the user must approve. */
export interface ApprovalMatch {
  /** The called tool's name. */
  tool: string;
  /** Index of the first matching entry in policy.approve. */
  entry: number;
  /** That entry as the profile spells it (for the prompt and the audit). */
  entryText: string;
  /** For a `paths` entry: the argument path (as resolved) that matched; undefined for a tool-only entry. */
  path?: string;
}

/**
 * Which policy.approve entry, if any, covers this tools/call. Pure: reads `ctx` (realpath/readlink
 * through a metered resolver) and the tools learned from tools/list. Runs after decide() allowed the
 * call, so its paths are already anchored inside the roots: a path entry matches when any reading of
 * any argument string (lexical or with symlinks followed, relative ones against every root) lies under
 * one of its globs. Erring towards asking: every spelling the path rules consider counts.
 */
export function matchApproval(
  params: unknown,
  state: SessionView,
  ctx: PolicyContext,
): ApprovalMatch | undefined {
  const entries = ctx.policy.approve;
  if (entries.length === 0 || !isRecord(params) || typeof params.name !== 'string') return undefined;
  const tool = params.name;
  let resolver: Resolver | undefined;
  const ensureResolver = (): Resolver =>
    (resolver ??= createResolver(ctx.realpath, ctx.readlink, undefined, ctx.exists));
  let candidates: readonly string[] | undefined;
  for (const [index, entry] of entries.entries()) {
    const toolGlob = typeof entry === 'string' ? entry : entry.tool;
    if (!matchesGlob(tool, [toolGlob])) continue;
    const entryText = describeEntry(entry);
    if (typeof entry === 'string' || entry.paths === undefined) return { tool, entry: index, entryText };
    candidates ??= argumentPaths(params.arguments, state.tools.get(tool), ctx, ensureResolver());
    const globs = entry.paths.flatMap((glob) => globForms(glob, ctx, ensureResolver()));
    const hit = candidates.find((candidate) => globs.some((glob) => matchesPathGlob(candidate, glob)));
    if (hit !== undefined) return { tool, entry: index, entryText, path: hit };
  }
  return undefined;
}

/** An entry as the profile spells it, for the prompt and the audit. */
export function describeEntry(entry: ApproveEntry): string {
  return typeof entry === 'string' ? entry : JSON.stringify(entry);
}

/**
 * Every absolute path the arguments may denote, in both forms the path rules anchor: lexically
 * normalised and as the kernel resolves it (symlinks followed).
 */
function argumentPaths(
  args: unknown,
  tool: ToolInfo | undefined,
  ctx: PolicyContext,
  resolver: Resolver,
): string[] {
  const out = new Set<string>();
  const budget: ExpansionBudget = { chars: MESSAGE_EXPANSION_CHARS };
  // Wrapped so every string reports the top-level argument it sits in (walkStrings' tools/call mode).
  walkStrings({ arguments: args }, true, (value, isKey, argument) => {
    const role = roleOf(isKey, argument, tool);
    const isGlob = (): boolean =>
      role === 'path' ||
      (!isKey && argument !== undefined && (tool?.globParams.has(argument) === true || isGlobName(argument)));
    const reading = siteReading(value, { role, isGlob, budget }, ctx);
    if (reading === undefined || !reading.ok) return undefined;
    const raw = [...reading.paths, ...(reading.alsoAt ?? [])];
    for (const [root, name] of reading.entries ?? []) raw.push(`${root}/${name}`);
    for (const candidate of raw) {
      out.add(path.posix.resolve(candidate));
      out.add(kernelResolve(candidate, resolver.readlink));
    }
    return undefined;
  });
  return [...out];
}

function roleOf(isKey: boolean, argument: string | undefined, tool: ToolInfo | undefined): Role {
  if (isKey || tool === undefined || argument === undefined) return 'unknown';
  if (tool.pathParams.has(argument)) return 'path';
  return tool.otherParams.has(argument) ? 'text' : 'unknown';
}

/**
 * A path glob as written (`~` expanded against the user's home) and, when the directory before its
 * first wildcard exists under another real path (a symlinked home, /tmp on macOS), that form too.
 */
function globForms(glob: string, ctx: PolicyContext, resolver: Resolver): string[] {
  const expanded = glob === '~' || glob.startsWith('~/') ? ctx.home + glob.slice(1) : glob;
  const normal = path.posix.resolve(expanded);
  const prefix = literalPrefix(normal);
  const real = resolver.realpath(prefix);
  if (real === undefined || real === prefix) return [normal];
  return [normal, path.posix.join(real, normal.slice(prefix.length))];
}
