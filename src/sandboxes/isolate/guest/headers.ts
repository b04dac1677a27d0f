// WHATWG Headers for the isolate's fetch: case-insensitive names, values joined with ", " (Set-Cookie
// kept apart for getSetCookie), sorted iteration, and the same validation errors as Node's.

/** Anything `new Headers(init)` accepts. */
export type HeadersInit = Headers | Iterable<[string, string]> | Record<string, string | readonly string[]>;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function normaliseValue(name: string, value: unknown): string {
  const text = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  if (/[\0\r\n]/.test(text)) throw new TypeError(`Headers: invalid value for ${JSON.stringify(name)}`);
  return text;
}

function checkName(name: unknown): string {
  const text = String(name);
  if (!TOKEN.test(text)) throw new TypeError(`Headers: invalid header name ${JSON.stringify(text)}`);
  return text.toLowerCase();
}

/** fetch's Headers. */
export class Headers {
  readonly #values = new Map<string, string[]>();

  constructor(init?: HeadersInit | null) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [name, values] of init.#values) this.#values.set(name, [...values]);
      return;
    }
    if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of init as Iterable<unknown>) {
        const list = [...(pair as Iterable<unknown>)];
        if (list.length !== 2) throw new TypeError('Headers: each header must be a [name, value] pair');
        this.append(String(list[0]), String(list[1]));
      }
      return;
    }
    if (typeof init !== 'object') throw new TypeError('Headers: init must be an object or a list of pairs');
    for (const [name, value] of Object.entries(init)) {
      if (Array.isArray(value)) for (const v of value) this.append(name, String(v));
      else this.append(name, String(value));
    }
  }

  append(name: string, value: string): void {
    const key = checkName(name);
    const text = normaliseValue(name, value);
    const list = this.#values.get(key);
    if (list) list.push(text);
    else this.#values.set(key, [text]);
  }
  delete(name: string): void {
    this.#values.delete(checkName(name));
  }
  get(name: string): string | null {
    const list = this.#values.get(checkName(name));
    return list === undefined ? null : list.join(', ');
  }
  getSetCookie(): string[] {
    return [...(this.#values.get('set-cookie') ?? [])];
  }
  has(name: string): boolean {
    return this.#values.has(checkName(name));
  }
  set(name: string, value: string): void {
    this.#values.set(checkName(name), [normaliseValue(name, value)]);
  }
  forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this) callback.call(thisArg, value, name, this);
  }
  *entries(): IterableIterator<[string, string]> {
    for (const name of [...this.#values.keys()].sort()) {
      const list = this.#values.get(name) ?? [];
      if (name === 'set-cookie') for (const value of list) yield [name, value];
      else yield [name, list.join(', ')];
    }
  }
  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }
  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  get [Symbol.toStringTag](): string {
    return 'Headers';
  }

  /** Every header as sent: one pair per value, in insertion order (names lower-cased). */
  pairs(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const [name, list] of this.#values) for (const value of list) out.push([name, value]);
    return out;
  }
}

/** Headers from a raw list (name, value, name, value...) as the host delivers them. */
export function headersFromRaw(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i] as string, raw[i + 1] as string);
    } catch {
      // Node's parser already refused what HTTP forbids; anything odd left is dropped, not fatal.
    }
  }
  return headers;
}
