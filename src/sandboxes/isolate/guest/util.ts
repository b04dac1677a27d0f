// Guest shim for node:util: the helpers libraries commonly import.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { TextDecoder, TextEncoder } from './text.ts';

/** util.promisify for (..., callback(error, value)) functions. */
export function promisify(fn: (...args: any[]) => void): (...args: any[]) => Promise<any> {
  return (...args) =>
    new Promise((resolve, reject) =>
      fn(...args, (error: unknown, value: unknown) => (error ? reject(error) : resolve(value))),
    );
}
export function inherits(child: any, parent: any): void {
  Object.setPrototypeOf(child.prototype, parent.prototype);
  Object.setPrototypeOf(child, parent);
}
export function inspect(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value instanceof Error) return value.stack ?? String(value);
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value)
    );
  } catch {
    return String(value);
  }
}
export function format(first?: unknown, ...rest: unknown[]): string {
  if (typeof first !== 'string')
    return [first, ...rest].map((v) => (typeof v === 'string' ? v : inspect(v))).join(' ');
  let i = 0;
  const text = first.replace(/%[sdifjoO%]/g, (token) => {
    if (token === '%%') return '%';
    if (i >= rest.length) return token;
    const value = rest[i++];
    if (token === '%d' || token === '%i') return String(Number.parseInt(String(value), 10));
    if (token === '%f') return String(Number(value));
    if (token === '%s') return typeof value === 'string' ? value : inspect(value);
    return inspect(value);
  });
  return [text, ...rest.slice(i).map((v) => (typeof v === 'string' ? v : inspect(v)))].join(' ');
}
export const deprecate = <T>(fn: T): T => fn;
export const debuglog = (): ((...args: unknown[]) => void) => () => undefined;
export const isDeepStrictEqual = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
export const types = {
  isPromise: (v: unknown): boolean => v instanceof Promise,
  isDate: (v: unknown): boolean => v instanceof Date,
  isRegExp: (v: unknown): boolean => v instanceof RegExp,
  isUint8Array: (v: unknown): boolean => v instanceof Uint8Array,
  isAnyArrayBuffer: (v: unknown): boolean => v instanceof ArrayBuffer,
  isNativeError: (v: unknown): boolean => v instanceof Error,
};
export { TextDecoder, TextEncoder };
export default {
  promisify,
  inherits,
  inspect,
  format,
  deprecate,
  debuglog,
  isDeepStrictEqual,
  types,
  TextDecoder,
  TextEncoder,
};
