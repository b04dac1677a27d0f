/**
 * The marker a wrapped entry carries in formats whose entries cannot hold an extra key safely (TOML,
 * YAML): one comment line `x-mcp-warden: "<the entry's original text, as a JSON string>"`. Clients ignore
 * comments, the JSON string keeps the text on one line, and unwrap puts the text back byte for byte.
 */
export const MARKER_PREFIX = (comment: string): string => `${comment} x-mcp-warden:`;

/** The marker comment line (without indentation or line ending) for `original`. */
export function markerLine(comment: string, original: string): string {
  return `${MARKER_PREFIX(comment)} ${JSON.stringify(original)}`;
}

/** The original text held by the first marker comment in `text`, if any. */
export function readMarker(text: string, comment: string): string | undefined {
  const prefix = MARKER_PREFIX(comment).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^[ \\t]*${prefix} (".*")[ \\t]*\\r?$`, 'm').exec(text);
  if (!match?.[1]) return undefined;
  try {
    const value = JSON.parse(match[1]) as unknown;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
