/**
 * The lines of a revocation file. Each names the namespace it revokes, the same ids principals carry:
 * `key:ID` (an API key by its configured id), `jwt:ISSUER:SUBJECT` (every token of one subject of one
 * issuer) or `jti:ID` (one JWT by its `jti`). `#` starts a comment. A bare id (`victim`) is refused:
 * it could mean a key, a subject or a token id, and guessing wrong silently leaves a credential valid.
 */
export interface RevocationProblem {
  /** 1-based line number. */
  line: number;
  /** `error`: the line is ignored (refused at start-up); `warning`: kept, but it can never match. */
  severity: 'error' | 'warning';
  message: string;
}

/** What the gateway's auth config makes revocable, to flag lines that can never match (typos). */
export interface RevocationContext {
  /** Configured API key ids. */
  keyIds: readonly string[];
  /** The configured JWT issuer; undefined: no JWT auth. */
  issuer: string | undefined;
}

export interface ParsedRevocations {
  entries: Set<string>;
  problems: RevocationProblem[];
}

const FIX = 'write key:ID (an API key), jwt:ISSUER:SUBJECT (a token subject) or jti:ID (one token)';

/** Parse a revocation file's text. Never throws: bad lines come back as problems. */
export function parseRevocations(text: string, context?: RevocationContext): ParsedRevocations {
  const entries = new Set<string>();
  const problems: RevocationProblem[] = [];
  text.split('\n').forEach((raw, index) => {
    const entry = raw.replace(/#.*$/, '').trim();
    if (entry === '') return;
    const line = index + 1;
    const shown = JSON.stringify(entry.length > 80 ? `${entry.slice(0, 80)}…` : entry);
    const colon = entry.indexOf(':');
    const namespace = colon < 0 ? '' : entry.slice(0, colon);
    const rest = colon < 0 ? '' : entry.slice(colon + 1);
    if (namespace !== 'key' && namespace !== 'jwt' && namespace !== 'jti') {
      problems.push({
        line,
        severity: 'error',
        message: `${shown} does not say what it revokes: ${FIX}`,
      });
      return;
    }
    if (rest === '' || (namespace === 'jwt' && !/^.+:.+$/.test(rest))) {
      problems.push({
        line,
        severity: 'error',
        message: `${shown} is incomplete: ${FIX}`,
      });
      return;
    }
    entries.add(entry);
    if (context === undefined) return;
    if (namespace === 'key' && !context.keyIds.includes(rest)) {
      problems.push({
        line,
        severity: 'warning',
        message: `${shown}: no API key has the id ${JSON.stringify(rest)} (auth.apiKeys)`,
      });
    }
    if (namespace === 'jwt' && (context.issuer === undefined || !rest.startsWith(`${context.issuer}:`))) {
      problems.push({
        line,
        severity: 'warning',
        message:
          context.issuer === undefined
            ? `${shown}: JWT auth is not configured`
            : `${shown}: the issuer is not ${JSON.stringify(context.issuer)} (auth.jwt.issuer), so it matches no token`,
      });
    }
  });
  return { entries, problems };
}
