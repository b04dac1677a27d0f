import path from 'node:path';
import { WardenError } from '../../errors.ts';

// macOS top-level symlinks into /private: the sandbox matches the resolved path, so a rule written
// for /tmp/x would never match anything. Pure string mapping; the host realpath is the caller's job.
const PRIVATE_LINKS = ['/var', '/tmp', '/etc'] as const;

// C0 controls and DEL: a newline or NUL in a path is an attack or an accident, never a real directory
// anyone meant to sandbox; sandbox-exec's handling of them is not something to depend on.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f]/;

/**
 * Pure: the canonical macOS form of an absolute path: normalised (no `.`/`..`/duplicate or trailing
 * slashes) and with /var, /tmp and /etc mapped to /private/var, /private/tmp and /private/etc, the
 * form in which the kernel presents resolved paths to the Seatbelt policy.
 * Throws WardenError('config') naming `what` for a relative path or one with control characters.
 */
export function canonicalMacPath(value: string, what: string): string {
  assertSafePath(value, what);
  const normal = path.posix.normalize(value).replace(/(.)\/+$/, '$1');
  for (const link of PRIVATE_LINKS) {
    if (normal === link || normal.startsWith(`${link}/`)) return `/private${normal}`;
  }
  return normal;
}

/**
 * Throws WardenError('config') when `value` cannot be represented safely in a Seatbelt profile or a
 * sandbox-exec parameter: not absolute, or containing NUL, newline or another control character.
 */
export function assertSafePath(value: string, what: string): void {
  if (UNSAFE.test(value)) {
    throw new WardenError('config', `${what} ${JSON.stringify(value)} contains a control character`, {
      hint: 'the seatbelt backend refuses paths with NUL, newline or other control characters; rename the directory',
    });
  }
  if (!value.startsWith('/')) {
    throw new WardenError('config', `${what} ${JSON.stringify(value)} is not an absolute path`);
  }
}

/** Pure: true when `inner` is `outer` or lies below it (component-wise, both canonical). */
export function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer === '/' ? '/' : `${outer}/`);
}
