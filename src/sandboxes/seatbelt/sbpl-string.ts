import { WardenError } from '../../errors.ts';

/**
 * Pure: `value` as an SBPL (TinyScheme) string literal: double-quoted, with `\` and `"` escaped by a
 * backslash and every other character (including non-ASCII, written as UTF-8) as is. Throws
 * WardenError('config') for control characters (NUL, newline...), which have no safe representation
 * here: the generator refuses them rather than emit something the reader would take differently.
 */
export function sbplString(value: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new WardenError(
      'config',
      `cannot write ${JSON.stringify(value)} as an SBPL string: control character`,
    );
  }
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
