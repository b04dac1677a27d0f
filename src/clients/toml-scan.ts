/**
 * A TOML statement scanner that keeps byte offsets: table headers, key/value lines (with the value's exact
 * range, multi-line arrays and strings included) and comment lines. Values are not interpreted (smol-toml
 * does that); this only finds where things are so `wrap` can edit a few values and keep every other byte.
 */

/** One statement of a TOML document. */
export type TomlStatement =
  | { kind: 'header'; start: number; end: number; path: string[]; array: boolean }
  | {
      kind: 'pair';
      start: number;
      /** After the line's newline (or the end of the text). */
      end: number;
      path: string[];
      valueStart: number;
      valueEnd: number;
    }
  | { kind: 'comment'; start: number; end: number; text: string };

/** Scan `text` into statements. Throws Error on a construct it cannot follow (the caller parses first). */
export function scanToml(text: string): TomlStatement[] {
  const out: TomlStatement[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lineStart = i;
    i = skipSpaces(text, i);
    const c = text[i];
    if (c === undefined) break;
    if (c === '\n' || c === '\r') {
      i = lineEnd(text, i);
      continue;
    }
    if (c === '#') {
      const end = lineEnd(text, i);
      out.push({ kind: 'comment', start: lineStart, end, text: text.slice(i, end).replace(/\r?\n$/, '') });
      i = end;
      continue;
    }
    if (c === '[') {
      const array = text[i + 1] === '[';
      i += array ? 2 : 1;
      const key = readKey(text, i);
      i = skipSpaces(text, key.end);
      i += array ? 2 : 1; // ] or ]]
      const end = lineEnd(text, i);
      out.push({ kind: 'header', start: lineStart, end, path: key.path, array });
      i = end;
      continue;
    }
    const key = readKey(text, i);
    i = skipSpaces(text, key.end);
    if (text[i] !== '=') throw new Error(`toml-scan: expected = at ${i}`);
    const valueStart = skipSpaces(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    const end = lineEnd(text, valueEnd);
    out.push({ kind: 'pair', start: lineStart, end, path: key.path, valueStart, valueEnd });
    i = end;
  }
  return out;
}

function skipSpaces(text: string, i: number): number {
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
}

/** The offset after the end of the line holding `i` (past its newline; a trailing comment included). */
function lineEnd(text: string, i: number): number {
  const newline = text.indexOf('\n', i);
  return newline < 0 ? text.length : newline + 1;
}

/** Skip whitespace, newlines and comments (inside arrays and inline tables). */
function skipBlank(text: string, i: number): number {
  for (;;) {
    i = skipSpaces(text, i);
    const c = text[i];
    if (c === '\n' || c === '\r') i++;
    else if (c === '#') {
      const newline = text.indexOf('\n', i);
      i = newline < 0 ? text.length : newline + 1;
    } else return i;
  }
}

function readKey(text: string, i: number): { path: string[]; end: number } {
  const path: string[] = [];
  for (;;) {
    i = skipSpaces(text, i);
    const c = text[i];
    if (c === '"' || c === "'") {
      const end = skipString(text, i);
      const raw = text.slice(i, end);
      path.push(
        c === '"'
          ? (JSON.parse(
              raw.replace(/\\U([0-9A-Fa-f]{8})/g, (_m, hex: string) =>
                String.fromCodePoint(parseInt(hex, 16)),
              ),
            ) as string)
          : raw.slice(1, -1),
      );
      i = end;
    } else {
      const start = i;
      while (i < text.length && /[A-Za-z0-9_-]/.test(text[i] ?? '')) i++;
      if (i === start) throw new Error(`toml-scan: expected a key at ${i}`);
      path.push(text.slice(start, i));
    }
    const next = skipSpaces(text, i);
    if (text[next] !== '.') return { path, end: i };
    i = next + 1;
  }
}

function skipString(text: string, i: number): number {
  const quote = text[i] ?? '';
  if (text.startsWith(quote.repeat(3), i)) {
    const close = quote.repeat(3);
    let j = i + 3;
    for (;;) {
      if (quote === '"' && text[j] === '\\') j += 2;
      else if (text.startsWith(close, j)) {
        j += 3;
        while (text[j] === quote) j++; // up to two quotes may end the content
        return j;
      } else if (j >= text.length) throw new Error('toml-scan: unterminated string');
      else j++;
    }
  }
  let j = i + 1;
  for (;;) {
    const c = text[j];
    if (c === undefined || c === '\n') throw new Error('toml-scan: unterminated string');
    if (quote === '"' && c === '\\') j += 2;
    else if (c === quote) return j + 1;
    else j++;
  }
}

/** The end of the value starting at `i`. */
export function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"' || c === "'") return skipString(text, i);
  if (c === '[') {
    let j = skipBlank(text, i + 1);
    while (text[j] !== ']') {
      j = skipBlank(text, skipValue(text, j));
      if (text[j] === ',') j = skipBlank(text, j + 1);
      else if (text[j] !== ']') throw new Error(`toml-scan: expected , or ] at ${j}`);
    }
    return j + 1;
  }
  if (c === '{') {
    let j = skipBlank(text, i + 1);
    while (text[j] !== '}') {
      const key = readKey(text, j);
      j = skipSpaces(text, key.end);
      if (text[j] !== '=') throw new Error(`toml-scan: expected = at ${j}`);
      j = skipBlank(text, skipValue(text, skipSpaces(text, j + 1)));
      if (text[j] === ',') j = skipBlank(text, j + 1);
      else if (text[j] !== '}') throw new Error(`toml-scan: expected , or } at ${j}`);
    }
    return j + 1;
  }
  let j = i;
  while (j < text.length && !/[\s,\]}#]/.test(text[j] ?? '')) j++;
  // Dates may hold one space: 1979-05-27 07:32:00.
  if (text[j] === ' ' && /^\d{4}-\d{2}-\d{2}$/.test(text.slice(i, j)) && /\d/.test(text[j + 1] ?? '')) {
    j++;
    while (j < text.length && !/[\s,\]}#]/.test(text[j] ?? '')) j++;
  }
  return j;
}

/** A TOML basic string for `value` (JSON's escapes, plus DEL, which TOML does not allow raw). */
export function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007F');
}
