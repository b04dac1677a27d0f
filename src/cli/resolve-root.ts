import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { type RootLink, recordedParent, symlinksOnPath } from '../config/root-links.ts';
import type { ResolvedRoot } from '../config/root.ts';
import { WardenError, errorMessage } from '../errors.ts';
import { homeDir } from '../util/home-dir.ts';
import { parseRootArg } from './args.ts';

/** How a root's given path became its real path, for stderr, `explain` and the audit log. */
export interface RootResolution {
  /** The path as given (after ~ expansion and normalisation). */
  path: string;
  realPath: string;
  readOnly: boolean;
  /** The symlinks followed, in order (empty when the path is its own real path). */
  links: RootLink[];
  /** Set when a link lies inside a recorded rw root and the user confirmed it (--allow-root-symlink). */
  confirmedPlanted?: string;
}

export interface RootChecks {
  /** Real paths of the directories earlier sessions mounted read-write (src/config/rw-root-record.ts). */
  recordedRw: readonly string[];
  /** Roots the user confirmed with --allow-root-symlink, as given (normalised like a root). */
  allowSymlink: readonly string[];
}

/**
 * Check one --root value: absolute (or ~), an existing directory; record its realpath and the links
 * followed to it. A root whose resolution passes through a symlink located inside a directory some
 * session mounted read-write (where a sandboxed server could have planted it) is refused with
 * WardenError('usage') unless the root is named in `checks.allowSymlink`.
 */
export function resolveRoot(
  value: string,
  checks: RootChecks = { recordedRw: [], allowSymlink: [] },
): RootResolution {
  const { path: given, readOnly } = parseRootArg(value);
  const normal = normalRootPath(given);
  if (normal === undefined) {
    throw new WardenError('usage', `--root ${value}: the path must be absolute`, {
      hint: `use --root ${path.resolve(given)}${readOnly ? ':ro' : ''} if that is what you mean`,
    });
  }
  let realPath: string;
  let links: RootLink[];
  try {
    if (!statSync(normal).isDirectory()) throw new Error('not a directory');
    realPath = realpathSync.native(normal);
    links = realPath === normal ? [] : symlinksOnPath(normal, HOST_LOOKUPS);
  } catch (error) {
    throw new WardenError('usage', `--root ${value}: ${errorMessage(error)}`, {
      hint: 'a root must be an existing directory',
    });
  }
  const resolution: RootResolution = { path: normal, realPath, readOnly, links };
  for (const link of links) {
    const planted = recordedParent(path.dirname(link.link), checks.recordedRw);
    if (planted === undefined) continue;
    if (!checks.allowSymlink.some((allowed) => normalRootPath(parseRootArg(allowed).path) === normal)) {
      throw new WardenError(
        'usage',
        `--root ${value} resolves through the symlink ${link.link} → ${link.target} (to ${realPath}), which lies inside ${planted}, a read-write root of an earlier mcp-warden session: a sandboxed server could have planted it`,
        {
          hint: `check the link; if you made it, confirm with --allow-root-symlink ${normal}, or give the real path: --root ${realPath}${readOnly ? ':ro' : ''}`,
        },
      );
    }
    resolution.confirmedPlanted = planted;
  }
  return resolution;
}

/** The line stderr and `explain` show for a root whose real path differs from the given one. */
export function describeResolution(root: RootResolution): string | undefined {
  if (root.realPath === root.path) return undefined;
  const via = root.links.map((l) => `${l.link} → ${l.target}`).join(', ');
  const confirmed =
    root.confirmedPlanted === undefined
      ? ''
      : `; the link lies inside ${root.confirmedPlanted}, an earlier read-write root, and was confirmed with --allow-root-symlink`;
  return `--root ${root.path} → ${root.realPath} (through the symlink${root.links.length === 1 ? '' : 's'} ${via}): the server gets ${root.realPath}${confirmed}`;
}

/** The ResolvedRoot the rest of the warden uses. */
export function toResolvedRoot(root: RootResolution): ResolvedRoot {
  return { path: root.path, readOnly: root.readOnly, realPath: root.realPath };
}

/**
 * Refuse an --allow-root-symlink value that names none of the roots (a typo would otherwise leave the
 * user believing a root was confirmed).
 */
export function checkConfirmations(allowSymlink: readonly string[], roots: readonly RootResolution[]): void {
  for (const allowed of allowSymlink) {
    const normal = normalRootPath(parseRootArg(allowed).path);
    if (!roots.some((root) => root.path === normal)) {
      throw new WardenError('usage', `--allow-root-symlink ${allowed} names none of the --root paths`, {
        hint: 'give the root exactly as in --root (without :ro)',
      });
    }
  }
}

/** `~` expanded, made absolute-normal; undefined for a relative path. */
export function normalRootPath(given: string): string | undefined {
  const expanded = given === '~' || given.startsWith('~/') ? path.join(homeDir(), given.slice(1)) : given;
  return path.isAbsolute(expanded) ? path.resolve(expanded) : undefined;
}

const HOST_LOOKUPS = {
  isSymlink: (file: string): boolean | undefined => {
    try {
      return lstatSync(file).isSymbolicLink();
    } catch {
      return undefined;
    }
  },
  readlink: (file: string): string => readlinkSync(file),
};
