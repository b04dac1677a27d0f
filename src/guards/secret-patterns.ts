import { findPrivateKeys } from './private-key-scanner.ts';

/**
 * Credential patterns for redaction. Each has a stable id (shown in the marker and counted in the audit
 * event) and either a regex whose match — or, when the regex has a capture group named `secret`, that
 * group — is replaced, or a hand-written scanner. Patterns are anchored on distinctive prefixes or key
 * names so ordinary text is left alone.
 *
 * Every pattern runs on untrusted server text, so every one must take time linear in that text
 * (tests/unit/guards/linear-time.test.ts pumps each with its own prefixes and separators):
 * - no repetition of alternatives that can match the same text (that backtracks exponentially);
 * - an unbounded run may only be followed by something its class excludes, and a pattern that can
 *   fail after a run must not be able to start again inside that run (else every start rescans it:
 *   quadratic) — hence the look-behinds on the token patterns below;
 * - shapes that need more than that (PEM blocks) are scanned by hand.
 */
export type SecretPattern =
  | {
      id: string;
      /** Global regex. With a named group `secret`, only that group is replaced. */
      regex: RegExp;
      /** Matches whose secret part satisfies this are left alone (placeholders such as `${PASSWORD}`). */
      ignore?: (secret: string) => boolean;
    }
  | {
      id: string;
      /** A linear scanner: the [start, end) ranges to replace, in order, not overlapping. */
      find: (text: string) => [number, number][];
    };

/** Values that are obviously placeholders in docs and templates, not passwords (at most 256 characters). */
function isPlaceholder(secret: string): boolean {
  if (/[${}<>]/.test(secret)) return true;
  // `\w*pass\w*` as a regex backtracks over every split; a word containing "pass" is the same set.
  if (/^:?\w+$/.test(secret) && /pass/i.test(secret)) return true;
  return /^(?:%[sd]|\*+|x+|\.\.\.|secret|changeme|\?)$/i.test(secret);
}

/** The built-in credential patterns, most specific first. */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  { id: 'private-key', find: findPrivateKeys },
  { id: 'aws-access-key-id', regex: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g },
  {
    id: 'aws-secret-access-key',
    regex:
      /(?:aws|secret)_?(?:secret_?)?(?:access_?)?key(?:_?id)?["']?\s*(?:[:=]|=>)\s*["']?(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    // A real secret key is random base64: mixed case with digits or symbols.
    ignore: (secret) => !/[a-z]/.test(secret) || !/[A-Z]/.test(secret) || !/[0-9/+]/.test(secret),
  },
  { id: 'github-token', regex: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { id: 'gitlab-token', regex: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { id: 'slack-token', regex: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { id: 'google-api-key', regex: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { id: 'stripe-key', regex: /\b[sr]k_live_[0-9A-Za-z]{24,}\b/g },
  { id: 'anthropic-api-key', regex: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { id: 'openai-api-key', regex: /\bsk-(?:proj-|svcacct-)[A-Za-z0-9_-]{20,}|\bsk-[A-Za-z0-9]{48}\b/g },
  { id: 'npm-token', regex: /\bnpm_[A-Za-z0-9]{36}\b/g },
  {
    id: 'jwt',
    // Not after a token character: in `eyJ-eyJ-eyJ-…` only the first can start, so a failing start
    // never rescans a run another start already read.
    regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g,
  },
  {
    id: 'connection-string-password',
    regex: /\b[a-zA-Z][a-zA-Z0-9+.-]{1,30}:\/\/[^\s:@/'"`]{1,128}:(?<secret>[^\s@/'"`]{1,256})@/g,
    ignore: isPlaceholder,
  },
];

/**
 * Cheap pre-check: without one of these substrings no pattern can match. Run on the whole decoded
 * line so the common message skips the per-string walk entirely. `\u` catches JSON-escaped text.
 */
export const SECRET_CANDIDATE =
  /-----BEGIN|A(?:KIA|SIA|BIA|CCA)|[Ss][Ee][Cc][Rr][Ee][Tt]|[Aa][Ww][Ss]|gh[pousr]_|github_pat_|glpat-|xox[abposr]-|AIza|k_live_|\bsk-|\bnpm_|eyJ|:\/\/|\\u/;

/** The visible marker that replaces a secret. */
export function redactionMarker(id: string): string {
  return `[REDACTED by mcp-warden: ${id}]`;
}
