import { SECRET_PATTERNS, redactionMarker } from './secret-patterns.ts';
import type { SecretPattern } from './secret-patterns.ts';

/** The text with every credential replaced by its marker, and how many of each were replaced. */
export interface Redaction {
  text: string;
  /** Pattern id → number of secrets replaced; empty when nothing was found. */
  counts: Record<string, number>;
}

/**
 * Replace credentials in one string with `[REDACTED by mcp-warden: <id>]`. Returns undefined when the
 * string holds none (the caller keeps the original). Pure; the secret itself is never returned.
 * Linear in the length of `text`: every pattern is (see secret-patterns.ts), and each runs once.
 */
export function redactSecrets(text: string): Redaction | undefined {
  let out = text;
  let counts: Record<string, number> | undefined;
  const count = (id: string): void => {
    counts ??= {};
    counts[id] = (counts[id] ?? 0) + 1;
  };
  for (const pattern of SECRET_PATTERNS) {
    out = 'find' in pattern ? replaceRanges(out, pattern, count) : replaceMatches(out, pattern, count);
  }
  return counts ? { text: out, counts } : undefined;
}

function replaceRanges(
  text: string,
  pattern: Extract<SecretPattern, { find: unknown }>,
  count: (id: string) => void,
): string {
  const ranges = pattern.find(text);
  if (ranges.length === 0) return text;
  let out = '';
  let last = 0;
  for (const [start, end] of ranges) {
    out += text.slice(last, start) + redactionMarker(pattern.id);
    count(pattern.id);
    last = end;
  }
  return out + text.slice(last);
}

function replaceMatches(
  text: string,
  pattern: Extract<SecretPattern, { regex: unknown }>,
  count: (id: string) => void,
): string {
  pattern.regex.lastIndex = 0;
  if (!pattern.regex.test(text)) return text;
  pattern.regex.lastIndex = 0;
  return text.replace(pattern.regex, (...args: unknown[]) => {
    const match = args[0] as string;
    const groups = args[args.length - 1] as Record<string, string | undefined> | undefined;
    const secret = typeof groups === 'object' && groups ? groups.secret : undefined;
    if (pattern.ignore?.(secret ?? match)) return match;
    count(pattern.id);
    if (secret === undefined) return redactionMarker(pattern.id);
    const at = match.lastIndexOf(secret);
    return `${match.slice(0, at)}${redactionMarker(pattern.id)}${match.slice(at + secret.length)}`;
  });
}
