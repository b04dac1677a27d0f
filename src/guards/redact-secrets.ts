import { SECRET_PATTERNS, redactionMarker } from './secret-patterns.ts';

/** The text with every credential replaced by its marker, and how many of each were replaced. */
export interface Redaction {
  text: string;
  /** Pattern id → number of secrets replaced; empty when nothing was found. */
  counts: Record<string, number>;
}

/**
 * Replace credentials in one string with `[REDACTED by mcp-warden: <id>]`. Returns undefined when the
 * string holds none (the caller keeps the original). Pure; the secret itself is never returned.
 */
export function redactSecrets(text: string): Redaction | undefined {
  let out = text;
  let counts: Record<string, number> | undefined;
  for (const pattern of SECRET_PATTERNS) {
    pattern.regex.lastIndex = 0;
    if (!pattern.regex.test(out)) continue;
    pattern.regex.lastIndex = 0;
    out = out.replace(pattern.regex, (...args: unknown[]) => {
      const match = args[0] as string;
      const groups = args[args.length - 1] as Record<string, string | undefined> | undefined;
      const secret = typeof groups === 'object' && groups ? groups.secret : undefined;
      if (pattern.ignore?.(secret ?? match)) return match;
      counts ??= {};
      counts[pattern.id] = (counts[pattern.id] ?? 0) + 1;
      if (secret === undefined) return redactionMarker(pattern.id);
      const at = match.lastIndexOf(secret);
      return `${match.slice(0, at)}${redactionMarker(pattern.id)}${match.slice(at + secret.length)}`;
    });
  }
  return counts ? { text: out, counts } : undefined;
}
