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
  // One entry per open container: where its keys start in `keys`, or -1 for an array.
  const bases: number[] = [];
  const keys = new OpenKeys(text);
  let expectKey = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const close = closingQuote(text, i);
      if (expectKey) {
        expectKey = false;
        const depth = bases.length - 1;
        const base = depth >= 0 ? (bases[depth] as number) : -1;
        if (base >= 0) {
          const start = i + 1;
          const decoded = keys.read(start, close);
          if (decoded === undefined ? isProto(text, start, close) : decoded === '__proto__') protoKey = true;
          if (duplicateKey === undefined && keys.add(start, close, decoded, base, depth)) {
            duplicateKey = decoded ?? text.slice(start, close);
          }
        }
      }
      i = close + 1;
      continue;
    }
    if (c === 0x7b /* { */) {
      bases.push(keys.count);
      expectKey = true;
      if (bases.length > maxDepth) maxDepth = bases.length;
    } else if (c === 0x5b /* [ */) {
      bases.push(-1);
      expectKey = false;
      if (bases.length > maxDepth) maxDepth = bases.length;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      const base = bases.pop();
      if (base !== undefined && base >= 0) keys.close(base, bases.length);
    } else if (c === 0x2c /* , */) {
      // After a comma, the next string in an object is a key.
      expectKey = bases.length > 0 && (bases[bases.length - 1] as number) >= 0;
    }
    i++;
  }
  return { duplicateKey, maxDepth, protoKey };
}

/** Past this many keys an object's keys move to a Set; below it a linear search is cheaper. */
const LINEAR_KEYS = 16;

/**
 * The keys of the open objects, innermost last, so that the common line allocates nothing per key
 * (this runs on every line): a key is a span of the text and a hash, compared in place. A key with
 * escapes (rare) is kept decoded. An object with more than {@link LINEAR_KEYS} keys moves to a Set.
 */
class OpenKeys {
  /** Number of keys in the list; an object's keys start where the list ended when it opened. */
  count = 0;
  readonly #text: string;
  /** Key k is text[spans[3k], spans[3k+1]) with hash spans[3k+2], unless decoded[k] is set. */
  readonly #spans: number[] = [];
  #decoded: (string | undefined)[] | undefined;
  /** By depth: the keys of an open object that outgrew the list. */
  #sets: (Set<string> | undefined)[] | undefined;
  /** The hash of the key {@link read} last read. */
  #hash = 0;

  constructor(text: string) {
    this.#text = text;
  }

  /**
   * Read the key text[start, end), between quotes: its decoded form if it has escapes, else undefined
   * (the span is the key). Must precede {@link add} of the same key.
   */
  read(start: number, end: number): string | undefined {
    const text = this.#text;
    let hash = 0;
    for (let k = start; k < end; k++) {
      const c = text.charCodeAt(k);
      if (c === BACKSLASH) {
        const decoded = decodeKey(text, start - 1, end);
        this.#hash = hashOf(decoded);
        return decoded;
      }
      hash = (Math.imul(hash, 31) + c) | 0;
    }
    this.#hash = hash;
    return undefined;
  }

  /**
   * Add the key text[start, end) (or `decoded`, if it had escapes) to the object at `depth` whose keys
   * start at `base`; true if the object already had it.
   */
  add(start: number, end: number, decoded: string | undefined, base: number, depth: number): boolean {
    const text = this.#text;
    const set = this.#sets?.[depth];
    if (set !== undefined) {
      const key = decoded ?? text.slice(start, end);
      if (set.has(key)) return true;
      set.add(key);
      return false;
    }
    const spans = this.#spans;
    const hash = this.#hash;
    for (let k = base; k < this.count; k++) {
      if (spans[3 * k + 2] === hash && this.#equals(k, start, end, decoded)) return true;
    }
    if (this.count - base >= LINEAR_KEYS) {
      // This object's keys are the end of the list (its children's are gone): move them to a Set.
      const moved = new Set<string>();
      for (let k = base; k < this.count; k++) moved.add(this.#key(k));
      moved.add(decoded ?? text.slice(start, end));
      (this.#sets ??= [])[depth] = moved;
      this.count = base;
      return false;
    }
    const k = this.count++;
    spans[3 * k] = start;
    spans[3 * k + 1] = end;
    spans[3 * k + 2] = hash;
    if (decoded !== undefined) (this.#decoded ??= [])[k] = decoded;
    else if (this.#decoded !== undefined) this.#decoded[k] = undefined;
    return false;
  }

  /** Forget the keys of the object at `depth` that opened when the list had `base` keys. */
  close(base: number, depth: number): void {
    this.count = base;
    if (this.#sets !== undefined) this.#sets[depth] = undefined;
  }

  #key(k: number): string {
    return this.#decoded?.[k] ?? this.#text.slice(this.#spans[3 * k], this.#spans[3 * k + 1]);
  }

  /** Whether key k equals text[start, end) or, if set, `decoded`. */
  #equals(k: number, start: number, end: number, decoded: string | undefined): boolean {
    const text = this.#text;
    const other = this.#decoded?.[k];
    if (other !== undefined) {
      if (decoded !== undefined) return other === decoded;
      return other.length === end - start && text.startsWith(other, start);
    }
    const from = this.#spans[3 * k] as number;
    const length = (this.#spans[3 * k + 1] as number) - from;
    if (decoded !== undefined) return decoded.length === length && text.startsWith(decoded, from);
    if (length !== end - start) return false;
    for (let j = 0; j < length; j++) {
      if (text.charCodeAt(from + j) !== text.charCodeAt(start + j)) return false;
    }
    return true;
  }
}

/** The hash {@link OpenKeys.read} computes over a key's UTF-16 units. */
function hashOf(key: string): number {
  let hash = 0;
  for (let k = 0; k < key.length; k++) hash = (Math.imul(hash, 31) + key.charCodeAt(k)) | 0;
  return hash;
}

function isProto(text: string, start: number, end: number): boolean {
  return end - start === 9 && text.startsWith('__proto__', start);
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

/** The key between quotes at `open` and `close`, which has a backslash, unescaped. */
function decodeKey(text: string, open: number, close: number): string {
  // A bad escape can only come from invalid JSON, where the result means little anyway.
  try {
    return JSON.parse(text.slice(open, close + 1)) as string;
  } catch {
    return text.slice(open + 1, close);
  }
}
