/** A URI scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`) and its colon. */
export const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

const ENCODED = /%[0-9A-Fa-f]{2}/;
const ENCODED_RUN = /(?:%[0-9A-Fa-f]{2})+/g;
const utf8 = new TextDecoder('utf-8'); // not fatal: bytes that are not UTF-8 become U+FFFD, as in WHATWG

/**
 * `value` percent-decoded once, leniently as the WHATWG URL standard does: each valid `%XX` is a
 * byte, anything else (`%zz`, a lone `%`) stays as it is. Unchanged when nothing is encoded.
 */
export function percentDecodeOnce(value: string): string {
  if (!ENCODED.test(value)) return value;
  return value.replace(ENCODED_RUN, (run) => {
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
    return utf8.decode(bytes);
  });
}

/**
 * The path-like parts a consumer of a URI of any scheme (but `file:`, read more strictly by
 * readFileUri) might hand to the filesystem, each as given and percent-decoded once:
 * - `scheme://authority/path`: `authority/path` (a server mapping `notes://x/y` to `<dir>/x/y`;
 *   with an empty authority that is the absolute `/path`), the same with only the host of the
 *   authority (no user, password or port), and the path without its leading slashes (a server
 *   joining only the path to its directory);
 * - `scheme:rest` without `//`: `rest` as it is (`notes:../x`, `notes:/etc`).
 * Each also without its query and fragment. Relative parts are later resolved against the roots,
 * so `https://example.com/a/../b` stays inside while `notes://../x` and `notes://%2E%2E/x` leave.
 */
export function uriPathParts(uri: string): string[] {
  const scheme = URI_SCHEME.exec(uri);
  if (scheme === null) return [];
  const rest = uri.slice(scheme[0].length);
  const parts = new Set<string>();
  for (const whole of new Set([rest, rest.split(/[?#]/, 1)[0] as string])) {
    if (whole.startsWith('//')) {
      const afterSlashes = whole.slice(2);
      parts.add(afterSlashes);
      const slash = afterSlashes.indexOf('/');
      const authority = slash === -1 ? afterSlashes : afterSlashes.slice(0, slash);
      const path = slash === -1 ? '' : afterSlashes.slice(slash);
      // The host alone, as a URL parser reports it: `user:pw@..:80` is the host "..".
      const host = authority.slice(authority.lastIndexOf('@') + 1).replace(/:[0-9]*$/, '');
      if (host !== authority) parts.add(host + path);
      if (slash > 0) parts.add(path.replace(/^\/+/, ''));
    } else {
      parts.add(whole);
    }
  }
  const out = new Set<string>();
  for (const part of parts) {
    if (part === '') continue;
    out.add(part);
    out.add(percentDecodeOnce(part));
  }
  return [...out];
}
