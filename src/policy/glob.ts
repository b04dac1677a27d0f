/**
 * Tool-name globs: `*` matches any run of characters (including none), `?` exactly one character
 * (one code point). Everything else matches itself, case-sensitively; the whole name must match.
 * No regular expression is built, so a glob cannot inject syntax or cause catastrophic backtracking.
 */

/**
 * One glob, compiled once. `affix`: a prefix and a suffix with only stars between them (`*`,
 * `write_*`, `*_file`, `a**b`), both free of wildcards and well-formed UTF-16, so comparing code
 * units is comparing code points (no surrogate pair can straddle either edge). Anything else (a
 * `?`, a star between literal runs, a lone surrogate) goes to the general code point matcher.
 */
type Compiled =
  | { kind: 'literal'; text: string }
  | { kind: 'affix'; prefix: string; suffix: string }
  | { kind: 'pattern'; chars: readonly string[] };

interface CompiledList {
  /** The globs as compiled; a list changed in place since is compiled again. */
  source: readonly string[];
  globs: readonly Compiled[];
}

/** Glob lists live as long as their policy and are few; keyed weakly so a dropped policy frees them. */
const compiledLists = new WeakMap<readonly string[], CompiledList>();

/** True when `name` matches at least one of `globs`. An empty list matches nothing. */
export function matchesGlob(name: string, globs: readonly string[]): boolean {
  let list = compiledLists.get(globs);
  if (list === undefined || !sameGlobs(list.source, globs)) {
    list = { source: [...globs], globs: globs.map(compile) };
    compiledLists.set(globs, list);
  }
  let chars: string[] | undefined; // the name's code points, split once and only if a pattern needs them
  for (const glob of list.globs) {
    switch (glob.kind) {
      case 'literal':
        if (name === glob.text) return true;
        break;
      case 'affix':
        if (
          name.length >= glob.prefix.length + glob.suffix.length &&
          name.startsWith(glob.prefix) &&
          name.endsWith(glob.suffix)
        ) {
          return true;
        }
        break;
      case 'pattern':
        chars ??= Array.from(name);
        if (matchOne(chars, glob.chars)) return true;
        break;
    }
  }
  return false;
}

function sameGlobs(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function compile(glob: string): Compiled {
  if (!glob.includes('*') && !glob.includes('?')) return { kind: 'literal', text: glob };
  const match = /^([^*?]*)\*+([^*?]*)$/.exec(glob);
  if (match !== null && glob.isWellFormed()) {
    return { kind: 'affix', prefix: match[1] as string, suffix: match[2] as string };
  }
  return { kind: 'pattern', chars: Array.from(glob) };
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
