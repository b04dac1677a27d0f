import path from 'node:path';
import type { ResolvedRoot } from '../../config/root.ts';
import type { PolicyContext } from '../types.ts';
import type { Reading } from './file-uri.ts';
import { interpretValue } from './interpret.ts';
import { physicalPath } from './kernel.ts';
import type { Resolver } from './resolver.ts';

/** Where a path-bearing value lands: outside (with why) or inside, and whether any reading is read-only. */
export type Anchoring = { inside: false; why: string } | { inside: true; readOnly: boolean };

/**
 * Anchor one string value to the roots. Every reading of the value (see interpretValue) must be
 * inside a root twice over: its lexical normalisation (against root.path or root.realPath) and its
 * kernel resolution (against root.realPath). `readOnly` is true when, for any reading, the most
 * specific root containing either form is a `:ro` root. `resolver` wraps ctx.realpath for one message.
 * The value is read as the kernel or a `file:` URI parser reads it; request arguments, which other
 * consumers read too, go through siteReading and anchorReading instead.
 */
export function anchorValue(value: string, ctx: PolicyContext, resolver: Resolver): Anchoring {
  return anchorReading(interpretValue(value, ctx), ctx, resolver);
}

/**
 * Anchor readings already made: `alsoAt` readings must be inside but never make the value
 * read-only; `entries` must be inside when they reach an existing entry (see Reading).
 */
export function anchorReading(reading: Reading, ctx: PolicyContext, resolver: Resolver): Anchoring {
  if (!reading.ok) return { inside: false, why: reading.why };
  let readOnly = false;
  for (const raw of reading.paths) {
    const landing = land(raw, ctx, resolver);
    if (!landing.inside) return landing;
    if (landing.readOnly) readOnly = true;
  }
  for (const raw of reading.alsoAt ?? []) {
    const landing = land(raw, ctx, resolver);
    if (!landing.inside) return landing;
  }
  for (const [root, name] of reading.entries ?? []) {
    // A name whose first component is missing reaches no entry (it has no ".."): nothing to follow.
    // One lookup per distinct first component, so many URLs on one host cost one.
    const first = `${root}/${name.split('/', 1)[0] as string}`;
    const exists = resolver.exists(first);
    if (resolver.exhausted) return { inside: false, why: 'needs too many filesystem lookups to anchor' };
    if (!exists) continue;
    const landing = land(`${root}/${name}`, ctx, resolver);
    if (!landing.inside) return landing;
  }
  return { inside: true, readOnly };
}

function land(raw: string, ctx: PolicyContext, resolver: Resolver): Anchoring {
  const lexical = mostSpecificRoot(path.posix.resolve(raw), ctx.roots, true);
  if (!lexical) return { inside: false, why: 'is outside the allowed roots' };
  const kernel = mostSpecificRoot(physicalPath(raw, resolver), ctx.roots, false);
  if (resolver.exhausted) return { inside: false, why: 'needs too many filesystem lookups to anchor' };
  if (!kernel) return { inside: false, why: 'resolves (through symlinks) outside the allowed roots' };
  return { inside: true, readOnly: lexical.readOnly || kernel.readOnly };
}

/** True when `candidate` is `dir` or below it, component-wise (/data-evil is not inside /data). */
export function isWithin(candidate: string, dir: string): boolean {
  if (dir === '/') return candidate.startsWith('/');
  return candidate === dir || candidate.startsWith(`${dir}/`);
}

/** The longest root containing `p` (normalised, absolute); by realPath only, or also by the given path. */
function mostSpecificRoot(
  p: string,
  roots: readonly ResolvedRoot[],
  byGivenPath: boolean,
): ResolvedRoot | undefined {
  let best: ResolvedRoot | undefined;
  let bestLength = -1;
  for (const root of roots) {
    const { given, real } = normalDirs(root);
    for (const normal of byGivenPath ? [given, real] : [real]) {
      if (normal !== undefined && isWithin(p, normal) && normal.length > bestLength) {
        best = root;
        bestLength = normal.length;
      }
    }
  }
  return best;
}

/** A root's two directories normalised, undefined when relative (never resolved against the cwd). */
interface NormalDirs {
  given: string | undefined;
  real: string | undefined;
}
/** Per root object, computed once: every path argument of every message is checked against them. */
const normalised = new WeakMap<ResolvedRoot, NormalDirs & { source: { path: string; realPath: string } }>();

function normalDirs(root: ResolvedRoot): NormalDirs {
  const known = normalised.get(root);
  if (known !== undefined && root.path === known.source.path && root.realPath === known.source.realPath)
    return known;
  const normal = (dir: string): string | undefined =>
    dir.startsWith('/') ? path.posix.resolve(dir) : undefined;
  const dirs = {
    given: normal(root.path),
    real: normal(root.realPath),
    source: { path: root.path, realPath: root.realPath },
  };
  normalised.set(root, dirs);
  return dirs;
}
