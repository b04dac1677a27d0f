/**
 * Result of reading a path-bearing string: the absolute paths it may denote, or why it is refused.
 * `alsoAt`: further readings that must stay inside some root but never make a write read-only
 * (a relative path joined to a root other than the first). `entries`: relative names, each with a
 * root, that must stay inside when their first component exists under that root (a name that
 * reaches nothing cannot leave through a symlink). Absent means none.
 */
export type Reading =
  | { ok: true; paths: string[]; alsoAt?: string[]; entries?: Array<readonly [root: string, name: string]> }
  | { ok: false; why: string };

const STILL_ENCODED = /%[0-9A-Fa-f]{2}/;

/**
 * The absolute paths a `file:` URI may denote. Accepts file:///abs, file://localhost/abs and
 * file:/abs; any other host, a relative form or a backslash is refused. The path is percent-decoded
 * exactly once; a result that would decode further (%252e) is refused. Because consumers disagree
 * on whether `?` and `#` end the path, both the whole path and the part before them are returned.
 */
export function readFileUri(uri: string): Reading {
  if (uri.includes('\\')) return { ok: false, why: 'is a file: URI containing a backslash' };
  let rest = uri.slice('file:'.length);
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    const host = end === -1 ? rest.slice(2) : rest.slice(2, end);
    if (host !== '' && host.toLowerCase() !== 'localhost') {
      return { ok: false, why: 'is a file: URI naming a remote host' };
    }
    rest = end === -1 ? '' : rest.slice(end);
  }
  if (!rest.startsWith('/')) return { ok: false, why: 'is a file: URI without an absolute path' };
  const raw = new Set([rest, rest.split(/[?#]/, 1)[0] ?? rest]);
  const paths: string[] = [];
  for (const encoded of raw) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(encoded);
    } catch {
      return { ok: false, why: 'is a file: URI with malformed percent-encoding' };
    }
    if (STILL_ENCODED.test(decoded)) return { ok: false, why: 'is a file: URI percent-encoded twice' };
    paths.push(decoded);
  }
  return { ok: true, paths };
}
