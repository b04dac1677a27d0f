/**
 * The spellings of one string that some consumer might act on. A server may normalise Unicode
 * (NFC, or NFKC which turns "．．／" into "../"), trim whitespace, or parse it as a WHATWG URL
 * (which drops tabs and newlines and strips leading/trailing C0 controls and spaces). A value is
 * only safe when every spelling is.
 */
export function surfaceForms(value: string): string[] {
  const forms = new Set<string>();
  // Normalisation cannot change ASCII, and lone surrogates are refused before any form is used.
  const bases =
    // eslint-disable-next-line no-control-regex
    /^[\x00-\x7f]*$/.test(value) || !value.isWellFormed()
      ? [value]
      : [value, value.normalize('NFC'), value.normalize('NFKC')];
  for (const base of bases) {
    forms.add(base);
    forms.add(base.trim());
    forms.add(urlClean(base));
  }
  return [...forms];
}

/** What the WHATWG URL parser does to its input before parsing. */
function urlClean(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\t\n\r]/g, '').replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');
}

/** C:\, C:/ and \\server\share. */
export const WINDOWS_PATH = /^(?:[A-Za-z]:[\\/]|\\\\)/;

/** A `file:` URI, any case of the scheme. */
export const FILE_SCHEME = /^file:/i;

/**
 * Anything but plain ASCII without NUL, `/`, `:`, `\` and `~`. Every surface form of a plain
 * string is the string with some characters deleted (nothing to normalise; trimming and
 * URL-cleaning only delete), so no form can start with `/`, `~`, `file:` or a Windows prefix, nor
 * split into components: such a form looks like a path only when it is exactly `..`.
 */
// eslint-disable-next-line no-control-regex
const NOT_PLAIN = /[\x00/:\\~\u0080-\uffff]/;

/**
 * The plain strings (see NOT_PLAIN) with a surface form that is exactly `..`: URL-cleaning, the
 * most deleting form, removes tabs and newlines anywhere and C0 controls and spaces at the ends
 * (trimming deletes a subset of that, and the value as given deletes nothing).
 */
// eslint-disable-next-line no-control-regex
const PLAIN_DOT_DOT = /^[\x00-\x20]*\.[\t\n\r]*\.[\x00-\x20]*$/;

/** Plain ASCII without a colon: no surface form can start with `file:` (see NOT_PLAIN). */
const MAY_BE_URI = /[:\u0080-\uffff]/;

/**
 * True when a string looks like a path and must be anchored: absolute, `~`-based, a `file:` URI,
 * containing a NUL or a `..` component (split on / and \), or a Windows path, in any surface form.
 */
export function isPathLike(value: string): boolean {
  if (!NOT_PLAIN.test(value)) return PLAIN_DOT_DOT.test(value); // the common case: cheap and exact
  if (value.includes('\0')) return true;
  // The value itself is one of its surface forms: most paths are plainly paths as given.
  return looksLikePath(value) || surfaceForms(value).some(looksLikePath);
}

/** True when some surface form of `value` is a `file:` URI. */
export function hasFileScheme(value: string): boolean {
  if (FILE_SCHEME.test(value)) return true;
  if (!MAY_BE_URI.test(value)) return false;
  return surfaceForms(value).some((form) => FILE_SCHEME.test(form));
}

/** A `..` component, with / and \ both read as separators. */
const DOT_DOT_COMPONENT = /(?:^|[\\/])\.\.(?:[\\/]|$)/;

/** True when one spelling, as it is, looks like a path: absolute, `~`, `file:`, Windows, or a `..` component. */
export function looksLikePath(form: string): boolean {
  return (
    form.startsWith('/') ||
    /^~[^\s/]*(?:\/|$)/.test(form) ||
    FILE_SCHEME.test(form) ||
    WINDOWS_PATH.test(form) ||
    DOT_DOT_COMPONENT.test(form)
  );
}
