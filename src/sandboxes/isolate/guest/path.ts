// Guest shim for node:path: POSIX semantics, computed by the host's own path module on copied strings
// (pure functions: nothing is read from the filesystem).
import { host } from './bridge.ts';

const call =
  <T>(name: string) =>
  (...args: unknown[]): T =>
    host<T>('path', name, args);

export const sep = '/';
export const delimiter = ':';
export const resolve = call<string>('resolve');
export const join = call<string>('join');
export const normalize = call<string>('normalize');
export const relative = call<string>('relative');
export const dirname = call<string>('dirname');
export const basename = call<string>('basename');
export const extname = call<string>('extname');
export const isAbsolute = (p: string): boolean => typeof p === 'string' && p.startsWith('/');
export const parse = call<{ root: string; dir: string; base: string; ext: string; name: string }>('parse');
export const format = call<string>('format');
export const toNamespacedPath = (p: string): string => p;
export const matchesGlob = call<boolean>('matchesGlob');

const path = {
  sep,
  delimiter,
  resolve,
  join,
  normalize,
  relative,
  dirname,
  basename,
  extname,
  isAbsolute,
  parse,
  format,
  toNamespacedPath,
  matchesGlob,
  posix: undefined as unknown,
  win32: undefined as unknown,
};
path.posix = path;
path.win32 = path;
export const posix = path;
export const win32 = path;
export default path;
