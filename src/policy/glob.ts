/**
 * Tool-name globs: `*` matches any run of characters (including none), `?` exactly one character
 * (one code point). Everything else matches itself, case-sensitively; the whole name must match.
 * No regular expression is built, so a glob cannot inject syntax or cause catastrophic backtracking.
 */

/** True when `name` matches at least one of `globs`. An empty list matches nothing. */
export function matchesGlob(name: string, globs: readonly string[]): boolean {
  const chars = Array.from(name);
  return globs.some((glob) => matchOne(chars, Array.from(glob)));
}

/** Iterative wildcard match with a single backtrack point: O(name × glob) worst case. */
function matchOne(s: readonly string[], p: readonly string[]): boolean {
  let si = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    const pc = p[pi];
    if (pc !== undefined && pc !== '*' && (pc === '?' || pc === s[si])) {
      si++;
      pi++;
    } else if (pc === '*') {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}
