// Guest shim for node:path: Node's POSIX implementation, in the guest (pure string functions, called
// often enough that a host round trip each would cost more than the work). `resolve` starts from the
// guest's cwd.
import { host } from './bridge.ts';

let cwdCache: string | undefined;
const cwd = (): string => (cwdCache ??= host<{ cwd: string }>('process.boot').cwd);

function assertPath(p: unknown): asserts p is string {
  if (typeof p !== 'string')
    throw new TypeError(`The "path" argument must be of type string. Received ${typeof p}`);
}

/** Resolve . and .. in a path (Node's normalizeString for POSIX). */
function normalizeString(p: string, allowAboveRoot: boolean): string {
  let res = '';
  let lastSegmentLength = 0;
  let lastSlash = -1;
  let dots = 0;
  for (let i = 0; i <= p.length; ++i) {
    const code = i < p.length ? p[i] : '/';
    if (code === '/') {
      if (lastSlash === i - 1 || dots === 1) {
        // Empty segment or ".": nothing to add.
      } else if (dots === 2) {
        if (res.length < 2 || lastSegmentLength !== 2 || !res.endsWith('..')) {
          if (res.length > 2) {
            const lastSlashIndex = res.lastIndexOf('/');
            if (lastSlashIndex === -1) {
              res = '';
              lastSegmentLength = 0;
            } else {
              res = res.slice(0, lastSlashIndex);
              lastSegmentLength = res.length - 1 - res.lastIndexOf('/');
            }
            lastSlash = i;
            dots = 0;
            continue;
          } else if (res.length !== 0) {
            res = '';
            lastSegmentLength = 0;
            lastSlash = i;
            dots = 0;
            continue;
          }
        }
        if (allowAboveRoot) {
          res += res.length > 0 ? '/..' : '..';
          lastSegmentLength = 2;
        }
      } else {
        if (res.length > 0) res += `/${p.slice(lastSlash + 1, i)}`;
        else res = p.slice(lastSlash + 1, i);
        lastSegmentLength = i - lastSlash - 1;
      }
      lastSlash = i;
      dots = 0;
    } else if (code === '.' && dots !== -1) {
      ++dots;
    } else {
      dots = -1;
    }
  }
  return res;
}

export const sep = '/';
export const delimiter = ':';

export function resolve(...args: string[]): string {
  let resolved = '';
  let absolute = false;
  for (let i = args.length - 1; i >= -1 && !absolute; i--) {
    const p = i >= 0 ? args[i] : cwd();
    assertPath(p);
    if (p.length === 0) continue;
    resolved = `${p}/${resolved}`;
    absolute = p.startsWith('/');
  }
  resolved = normalizeString(resolved, !absolute);
  if (absolute) return `/${resolved}`;
  return resolved.length > 0 ? resolved : '.';
}

export function normalize(p: string): string {
  assertPath(p);
  if (p.length === 0) return '.';
  const absolute = p.startsWith('/');
  const trailing = p.endsWith('/');
  let out = normalizeString(p, !absolute);
  if (out.length === 0) {
    if (absolute) return '/';
    return trailing ? './' : '.';
  }
  if (trailing) out += '/';
  return absolute ? `/${out}` : out;
}

export const isAbsolute = (p: string): boolean => {
  assertPath(p);
  return p.startsWith('/');
};

export function join(...args: string[]): string {
  let joined: string | undefined;
  for (const arg of args) {
    assertPath(arg);
    if (arg.length > 0) joined = joined === undefined ? arg : `${joined}/${arg}`;
  }
  return joined === undefined ? '.' : normalize(joined);
}

export function relative(from: string, to: string): string {
  assertPath(from);
  assertPath(to);
  if (from === to) return '';
  const a = resolve(from).split('/').filter(Boolean);
  const b = resolve(to).split('/').filter(Boolean);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => '..'), ...b.slice(common)].join('/');
}

export function dirname(p: string): string {
  assertPath(p);
  if (p.length === 0) return '.';
  let end = p.length - 1;
  while (end > 0 && p[end] === '/') end--;
  const slash = p.lastIndexOf('/', end);
  if (slash === -1) return '.';
  return slash === 0 ? '/' : p.slice(0, slash);
}

export function basename(p: string, suffix?: string): string {
  assertPath(p);
  let end = p.length;
  while (end > 1 && p[end - 1] === '/') end--;
  const base = p.slice(p.lastIndexOf('/', end - 1) + 1, end);
  if (suffix !== undefined && suffix !== base && base.endsWith(suffix))
    return base.slice(0, base.length - suffix.length);
  return base;
}

export function extname(p: string): string {
  const base = basename(p);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || (dot === 1 && base === '..')) return '';
  return base.slice(dot);
}

export interface ParsedPath {
  root: string;
  dir: string;
  base: string;
  ext: string;
  name: string;
}

export function parse(p: string): ParsedPath {
  assertPath(p);
  const root = p.startsWith('/') ? '/' : '';
  if (p.length === 0 || p === root) return { root, dir: root, base: '', ext: '', name: '' };
  const base = basename(p);
  const ext = extname(p);
  const dir = p.replace(/\/+$/, '').includes('/') ? dirname(p) : root;
  return { root, dir, base, ext, name: ext.length > 0 ? base.slice(0, base.length - ext.length) : base };
}

export function format(parts: Partial<ParsedPath>): string {
  const dir = parts.dir ?? parts.root ?? '';
  const base = parts.base ?? `${parts.name ?? ''}${parts.ext ?? ''}`;
  if (!dir) return base;
  return dir === parts.root ? `${dir}${base}` : `${dir}/${base}`;
}

export const toNamespacedPath = (p: string): string => p;
export const matchesGlob = (p: string, pattern: string): boolean =>
  host<boolean>('path', 'matchesGlob', [p, pattern]);

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
