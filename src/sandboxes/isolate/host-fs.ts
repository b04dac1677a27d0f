import path from 'node:path';
import type { ResolvedRoot } from '../../config/root.ts';
import { anchorValue } from '../../policy/paths/anchor.ts';
import { createResolver } from '../../policy/paths/resolver.ts';
import type { PolicyContext } from '../../policy/types.ts';
import { hostPaths } from '../../util/host-paths.ts';

/** Where the guest may touch files: the roots (rw or ro), then extra read-only paths (its own code). */
export interface FsScope {
  roots: readonly ResolvedRoot[];
  /** Host paths readable but never writable (the server's package, as a read-only mount elsewhere). */
  readOnlyPaths: readonly string[];
  /** The guest's working directory; relative paths resolve against it. */
  cwd: string;
  /** Largest file the guest may read in one call (bytes): the isolate could not hold more anyway. */
  maxReadBytes: number;
}

/** An error the host returns to the guest: copied fields only. */
export interface GuestError {
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

/** Thrown by `check` when a path is outside the scope or a write targets a read-only place. */
export class DeniedError extends Error {
  readonly code: string;
  constructor(code: 'EACCES' | 'EROFS', message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Anchors guest paths with the policy engine's own code (anchorValue: lexical and kernel resolution,
 * symlinks followed on the host) before any filesystem call is made for the guest.
 */
export class PathGuard {
  readonly #scope: FsScope;
  readonly #ctx: PolicyContext;
  constructor(scope: FsScope) {
    this.#scope = scope;
    const extra = scope.readOnlyPaths.map((p) => ({
      path: p,
      readOnly: true,
      realPath: hostPaths.realpath(p) ?? p,
    }));
    // anchorValue reads only roots and home (for `~`, which fs never expands: paths are made absolute first).
    this.#ctx = { roots: [...scope.roots, ...extra], home: '/nonexistent' } as unknown as PolicyContext;
  }

  /** The absolute path for `p`, or throws DeniedError (EACCES outside, EROFS for a write to a read-only place). */
  check(p: unknown, write: boolean): string {
    if (typeof p !== 'string') throw new TypeError('path must be a string');
    const absolute = path.resolve(this.#scope.cwd, p);
    const resolver = createResolver(hostPaths.realpath, hostPaths.readlink);
    const anchoring = anchorValue(absolute, this.#ctx, resolver);
    if (!anchoring.inside) {
      throw new DeniedError(
        'EACCES',
        `mcp-warden: ${absolute} ${anchoring.why} (isolate sandbox), open '${absolute}'`,
      );
    }
    if (write && anchoring.readOnly) {
      throw new DeniedError(
        'EROFS',
        `mcp-warden: ${absolute} is on a read-only root (isolate sandbox), open '${absolute}'`,
      );
    }
    return absolute;
  }

  get maxReadBytes(): number {
    return this.#scope.maxReadBytes;
  }
}

/** A Node fs error (or anything thrown) as copied fields for the guest. */
export function toGuestError(error: unknown): GuestError {
  if (error instanceof Error) {
    const e = error as NodeJS.ErrnoException;
    return {
      message: e.message,
      ...(e.code === undefined ? {} : { code: e.code }),
      ...(e.errno === undefined ? {} : { errno: e.errno }),
      ...(e.syscall === undefined ? {} : { syscall: e.syscall }),
      ...(e.path === undefined ? {} : { path: e.path }),
    };
  }
  return { message: String(error) };
}
