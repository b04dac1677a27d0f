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
 * True when a string looks like a path and must be anchored: absolute, `~`-based, a `file:` URI,
 * containing a NUL or a `..` component (split on / and \), or a Windows path, in any surface form.
 */
export function isPathLike(value: string): boolean {
  if (value.includes('\0')) return true;
  return surfaceForms(value).some(looksLikePath);
}

function looksLikePath(form: string): boolean {
  return (
    form.startsWith('/') ||
    /^~[^\s/]*(?:\/|$)/.test(form) ||
    FILE_SCHEME.test(form) ||
    WINDOWS_PATH.test(form) ||
    form.split(/[\\/]/).includes('..')
  );
}
