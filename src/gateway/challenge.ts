/**
 * A value for a quoted-string parameter of WWW-Authenticate (RFC 9110 §5.6.4): only printable ASCII
 * other than `"` and `\`, so nothing from a request (a Host header, a path) can close the quotes and
 * add parameters of its own. `"` becomes `'`, anything else `?`.
 */
export function quotedValue(text: string): string {
  return text.replaceAll('"', "'").replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?');
}

/** An RFC 6750 Bearer challenge; every value passes through quotedValue. */
export function bearerChallenge(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}="${quotedValue(value)}"`);
  return `Bearer ${parts.join(', ')}`;
}
