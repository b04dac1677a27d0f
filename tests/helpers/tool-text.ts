/** The text parts of a tools/call result, joined by newlines (non-text parts are empty strings). */
export function toolText(result: unknown): string {
  const content = (result as { content?: Array<{ text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}
