// Guest shim for node:url and the URL/URLSearchParams globals. Parsing is done by the host's WHATWG URL
// parser on copied strings; the guest keeps only the resulting components.
import { host } from './bridge.ts';

interface Parts {
  href: string;
  origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  hash: string;
}

/** URLSearchParams, kept in sync with its URL's search. */
export class URLSearchParams {
  #list: [string, string][] = [];
  #onChange: ((search: string) => void) | undefined;
  constructor(
    init?: string | Record<string, string> | Iterable<[string, string]>,
    onChange?: (search: string) => void,
  ) {
    if (typeof init === 'string') this.#list = host<[string, string][]>('url.params', init);
    else if (init && typeof (init as Iterable<[string, string]>)[Symbol.iterator] === 'function')
      this.#list = [...(init as Iterable<[string, string]>)].map(([k, v]) => [String(k), String(v)]);
    else if (init) this.#list = Object.entries(init).map(([k, v]) => [k, String(v)]);
    this.#onChange = onChange;
  }
  #changed(): void {
    this.#onChange?.(this.toString());
  }
  get size(): number {
    return this.#list.length;
  }
  append(name: string, value: string): void {
    this.#list.push([String(name), String(value)]);
    this.#changed();
  }
  delete(name: string): void {
    this.#list = this.#list.filter(([k]) => k !== name);
    this.#changed();
  }
  get(name: string): string | null {
    return this.#list.find(([k]) => k === name)?.[1] ?? null;
  }
  getAll(name: string): string[] {
    return this.#list.filter(([k]) => k === name).map(([, v]) => v);
  }
  has(name: string): boolean {
    return this.#list.some(([k]) => k === name);
  }
  set(name: string, value: string): void {
    const index = this.#list.findIndex(([k]) => k === name);
    if (index < 0) this.#list.push([name, String(value)]);
    else
      this.#list = [
        ...this.#list.slice(0, index),
        [name, String(value)],
        ...this.#list.slice(index + 1).filter(([k]) => k !== name),
      ];
    this.#changed();
  }
  sort(): void {
    this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#changed();
  }
  forEach(callback: (value: string, name: string, params: URLSearchParams) => void): void {
    for (const [k, v] of this.#list) callback(v, k, this);
  }
  keys(): IterableIterator<string> {
    return this.#list.map(([k]) => k)[Symbol.iterator]();
  }
  values(): IterableIterator<string> {
    return this.#list.map(([, v]) => v)[Symbol.iterator]();
  }
  entries(): IterableIterator<[string, string]> {
    return this.#list.map(([k, v]) => [k, v] as [string, string])[Symbol.iterator]();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  toString(): string {
    return host<string>('url.serializeParams', this.#list);
  }
}

/** The WHATWG URL class. */
export class URL {
  #parts: Parts;
  #params: URLSearchParams | undefined;
  constructor(input: string | URL, base?: string | URL) {
    this.#parts = host<Parts>('url.parse', String(input), base === undefined ? undefined : String(base));
  }
  static canParse(input: string, base?: string): boolean {
    try {
      new URL(input, base);
      return true;
    } catch {
      return false;
    }
  }
  static parse(input: string, base?: string): URL | null {
    try {
      return new URL(input, base);
    } catch {
      return null;
    }
  }
  #set(key: keyof Parts, value: string): void {
    this.#parts = host<Parts>('url.set', this.#parts.href, key, String(value));
    this.#params = undefined;
  }
  get href(): string {
    return this.#parts.href;
  }
  set href(value: string) {
    this.#parts = host<Parts>('url.parse', value, undefined);
    this.#params = undefined;
  }
  get origin(): string {
    return this.#parts.origin;
  }
  get protocol(): string {
    return this.#parts.protocol;
  }
  set protocol(value: string) {
    this.#set('protocol', value);
  }
  get username(): string {
    return this.#parts.username;
  }
  set username(value: string) {
    this.#set('username', value);
  }
  get password(): string {
    return this.#parts.password;
  }
  set password(value: string) {
    this.#set('password', value);
  }
  get host(): string {
    return this.#parts.host;
  }
  set host(value: string) {
    this.#set('host', value);
  }
  get hostname(): string {
    return this.#parts.hostname;
  }
  set hostname(value: string) {
    this.#set('hostname', value);
  }
  get port(): string {
    return this.#parts.port;
  }
  set port(value: string) {
    this.#set('port', value);
  }
  get pathname(): string {
    return this.#parts.pathname;
  }
  set pathname(value: string) {
    this.#set('pathname', value);
  }
  get search(): string {
    return this.#parts.search;
  }
  set search(value: string) {
    this.#set('search', value);
  }
  get hash(): string {
    return this.#parts.hash;
  }
  set hash(value: string) {
    this.#set('hash', value);
  }
  get searchParams(): URLSearchParams {
    this.#params ??= new URLSearchParams(this.#parts.search, (search) => this.#set('search', search));
    return this.#params;
  }
  toString(): string {
    return this.#parts.href;
  }
  toJSON(): string {
    return this.#parts.href;
  }
}

/** url.fileURLToPath (POSIX). */
export const fileURLToPath = (url: string | URL): string => host<string>('url.fileURLToPath', String(url));
/** url.pathToFileURL (POSIX). */
export const pathToFileURL = (p: string): URL => new URL(host<string>('url.pathToFileURL', String(p)));
/** Legacy url.parse, enough for callers that read href/protocol/host/pathname. */
export const parse = (input: string): Record<string, string | null> => {
  const url = new URL(input);
  return {
    href: url.href,
    protocol: url.protocol,
    host: url.host,
    hostname: url.hostname,
    port: url.port || null,
    pathname: url.pathname,
    search: url.search || null,
    hash: url.hash || null,
    path: url.pathname + url.search,
  };
};
export const format = (url: URL | string): string => String(url);
export default { URL, URLSearchParams, fileURLToPath, pathToFileURL, parse, format };
