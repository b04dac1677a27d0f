import { matchesGlob } from './glob.ts';

/**
 * Path globs (policy.approve's `paths`): matched component by component. `**` alone in a component
 * matches any number of components (none too); any other component is a name glob (glob.ts: `*` any
 * run of characters, `?` one character) that never crosses a `/`. Both sides are absolute and
 * normalised by the caller. No regular expression is built from the pattern.
 */

/** A compiled pattern: `**`, or a one-element glob list (kept so glob.ts caches its compilation). */
type Segment = '**' | readonly [string];

const compiled = new Map<string, readonly Segment[]>();
/** Patterns come from the profile (at most a few hundred); the cap only bounds a misuse. */
const MAX_COMPILED = 4096;

/** True when absolute path `p` matches absolute path glob `pattern`. */
export function matchesPathGlob(p: string, pattern: string): boolean {
  let segments = compiled.get(pattern);
  if (segments === undefined) {
    segments = components(pattern).map((part): Segment => (part === '**' ? '**' : [part]));
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(pattern, segments);
  }
  return matchSegments(components(p), segments);
}

/**
 * The longest leading part of `pattern` without a wildcard, as a path ("/" at least): the directory a
 * caller may realpath so a pattern written through a symlink matches what the kernel resolves.
 */
export function literalPrefix(pattern: string): string {
  const literal: string[] = [];
  for (const part of components(pattern)) {
    if (part.includes('*') || part.includes('?')) break;
    literal.push(part);
  }
  return `/${literal.join('/')}`;
}

function components(p: string): string[] {
  return p.split('/').filter((part) => part !== '');
}

/**
 * Iterative match with one backtrack point per `**` (the most recent), like a `*` in glob.ts: a later
 * `**` supersedes an earlier one, which is exact for component sequences. O(path × pattern).
 */
function matchSegments(parts: readonly string[], segments: readonly Segment[]): boolean {
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (pi < parts.length) {
    const segment = segments[si];
    if (segment !== undefined && segment !== '**' && matchesGlob(parts[pi] as string, segment)) {
      pi++;
      si++;
    } else if (segment === '**') {
      star = si++;
      mark = pi;
    } else if (star !== -1) {
      si = star + 1;
      pi = ++mark;
    } else {
      return false;
    }
  }
  while (segments[si] === '**') si++;
  return si === segments.length;
}
