/**
 * Credential patterns for redaction. Each has a stable id (shown in the marker and counted in the audit
 * event) and a regex whose match — or, when the regex has a capture group named `secret`, that group —
 * is replaced. Patterns are anchored on distinctive prefixes or key names so ordinary text is left alone.
 */
export interface SecretPattern {
  id: string;
  /** Global regex. With a named group `secret`, only that group is replaced. */
  regex: RegExp;
  /** Matches whose secret part satisfies this are left alone (placeholders such as `${PASSWORD}`). */
  ignore?: (secret: string) => boolean;
}

// Base64 body of a PEM block: base64 lines, optional `Header: value` lines (encrypted PEM), and the
// literal `\n` of a PEM pasted into JSON or code.
const PEM_BODY = String.raw`(?:[A-Za-z0-9+/=\s]|\\[nr]|[A-Za-z-]+:[^\n]*\n){32,}?`;

/** Values that are obviously placeholders in docs and templates, not passwords. */
function isPlaceholder(secret: string): boolean {
  return (
    /^(?:\$\{?[\w.-]*\}?|<[^>]*>|\{\{?[^}]*\}?\}|%[sd]|\*+|x+|\.\.\.|:?\w*pass(?:word)?\w*|secret|changeme|\?)$/i.test(
      secret,
    ) || /[${}<>]/.test(secret)
  );
}

/** The built-in credential patterns, most specific first. */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    id: 'private-key',
    regex: new RegExp(
      String.raw`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----${PEM_BODY}-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`,
      'g',
    ),
  },
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
  { id: 'jwt', regex: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g },
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
