/**
 * Work one message may spend expanding braces, in characters produced. Expansion is exponential in
 * the number of groups ("{a,b}" twenty times is a million strings), so every value draws on one
 * per-message meter and a message that would need more is refused, never half-checked.
 */
export interface ExpansionBudget {
  chars: number;
}

/** Characters one message may produce by expansion: 40 patterns of 100 characters expanded 256 ways. */
export const MESSAGE_EXPANSION_CHARS = 1_000_000;

/** Longest pattern expanded at all; a longer glob-like value is refused. */
export const MAX_PATTERN_LENGTH = 8192;

export type Expansion = { ok: true; forms: string[] } | { ok: false; why: string };

/**
 * The distinct strings a glob library or a shell makes of `pattern` by brace expansion:
 * `{a,b}c` → `ac`, `bc`, nested groups too (`{a,{b,c}}`). A group needs a comma at its top level,
 * as in bash and the glob libraries; `{a}` and ranges (`{1..9}`, `{a..z}`, which only yield
 * letters and digits) stay literal. Backslash escapes are ignored: expanding a group the consumer
 * would keep literal only adds spellings to check. At most `limit` results, else refused; every
 * intermediate string is charged to `budget`.
 */
export function expandBraces(pattern: string, limit: number, budget: ExpansionBudget): Expansion {
  if (!pattern.includes('{')) return { ok: true, forms: [pattern] };
  if (pattern.length > MAX_PATTERN_LENGTH) return { ok: false, why: 'is a pattern too long to expand' };
  const results = new Set<string>();
  const seen = new Set<string>([pattern]); // intermediates: "{,}{,}{,}" must not double at each group
  const work = [pattern];
  for (let s = work.pop(); s !== undefined; s = work.pop()) {
    const group = firstGroup(s);
    if (group === undefined) {
      results.add(s);
      if (results.size > limit) return { ok: false, why: `has more than ${limit} brace expansions` };
      continue;
    }
    const head = s.slice(0, group.open);
    const tail = s.slice(group.close + 1);
    for (const alternative of group.alternatives) {
      const next = head + alternative + tail;
      if (seen.has(next)) continue;
      budget.chars -= next.length;
      if (budget.chars < 0 || seen.size > limit * 8) {
        return { ok: false, why: 'has too many brace expansions to check' };
      }
      seen.add(next);
      work.push(next);
    }
  }
  return { ok: true, forms: [...results] };
}

interface Group {
  open: number;
  close: number;
  alternatives: string[];
}

interface Open {
  at: number;
  commas: number[];
}

/**
 * The first group to close: a `{...}` with a comma at its own top level, found in one pass (so
 * thousands of unmatched braces cost no more than one scan). Closing order does not change the
 * final set: `{a,{b,c}}` gives a, b, c whichever group is expanded first.
 */
function firstGroup(s: string): Group | undefined {
  const stack: Open[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x7b /* { */) {
      stack.push({ at: i, commas: [] });
    } else if (c === 0x2c /* , */) {
      stack.at(-1)?.commas.push(i);
    } else if (c === 0x7d /* } */) {
      const open = stack.pop();
      if (open === undefined || open.commas.length === 0) continue; // `{a}` or a stray `}`: literal
      const alternatives: string[] = [];
      let start = open.at + 1;
      for (const comma of open.commas) {
        alternatives.push(s.slice(start, comma));
        start = comma + 1;
      }
      alternatives.push(s.slice(start, i));
      return { open: open.at, close: i, alternatives };
    }
  }
  return undefined;
}
