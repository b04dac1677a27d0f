/** Facts about a JSON text that JSON.parse hides. */
export interface JsonScan {
  /**
   * The first key (in document order, after JSON unescaping) that repeats an earlier key of the
   * same object, at any depth; undefined when no object has a duplicate key.
   */
  duplicateKey: string | undefined;
  /** Deepest nesting of objects and arrays: a top-level object or array is 1, a bare scalar 0. */
  maxDepth: number;
  /**
   * Some object has a key `__proto__` (after unescaping). JSON.parse makes it an own property, but
   * code that copies objects by assignment (zod included) drops it or turns it into a prototype.
   */
  protoKey: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Scan a JSON text for duplicate keys and nesting depth. The result is exact only for valid JSON
 * (check with JSON.parse); on other text it never throws and stays linear, but means little.
 *
 * Duplicate keys matter because JSON.parse keeps the last one while other parsers keep the first,
 * so policy and server could see different messages. String contents are skipped with indexOf
 * (tool results are often one huge string), so the cost is mostly proportional to structure.
 */
export function scanJson(text: string): JsonScan {
  let duplicateKey: string | undefined;
  let maxDepth = 0;
  let protoKey = false;
  // One entry per open container: the keys seen so far for an object, null for an array.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const close = closingQuote(text, i);
      if (expectKey) {
        expectKey = false;
        const keys = stack[stack.length - 1];
        if (keys) {
          const key = decodeKey(text, i, close);
          if (key === '__proto__') protoKey = true;
          if (duplicateKey === undefined && keys.has(key)) duplicateKey = key;
          keys.add(key);
        }
      }
      i = close + 1;
      continue;
    }
    if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
      if (stack.length > maxDepth) maxDepth = stack.length;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      expectKey = false;
      if (stack.length > maxDepth) maxDepth = stack.length;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      // After a comma, the next string in an object is a key.
      expectKey = stack[stack.length - 1] != null;
    }
    i++;
  }
  return { duplicateKey, maxDepth, protoKey };
}

/** Index of the quote closing the string that opens at `open`. */
function closingQuote(text: string, open: number): number {
  let j = text.indexOf('"', open + 1);
  for (;;) {
    if (j === -1) return text.length; // unterminated: only possible if the caller broke the contract
    // A quote preceded by an odd run of backslashes is escaped. Runs never cross the previous
    // quote, so the backward counting is linear overall.
    let k = j - 1;
    while (text.charCodeAt(k) === BACKSLASH) k--;
    if ((j - 1 - k) % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
}

function decodeKey(text: string, open: number, close: number): string {
  const raw = text.slice(open + 1, close);
  if (!raw.includes('\\')) return raw;
  // Only escaped keys need the (slower) JSON decoder; a bad escape can only come from invalid JSON.
  try {
    return JSON.parse(text.slice(open, close + 1)) as string;
  } catch {
    return raw;
  }
}
