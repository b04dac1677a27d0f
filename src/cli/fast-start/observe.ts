import { lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { symlinksOnPath } from '../../config/root-links.ts';
import { findOnPath } from '../../sandboxes/process/find-on-path.ts';
import type { StoredLookup, StoredRoot } from './cache-entry.ts';
import { pathFacts } from './path-facts.ts';
import type { RecordLookup } from './record-lookup.ts';

// The observations a cached launch rests on, made the same way when it is stored and when a later
// start checks it: equal observations, equal inputs to the checks `prepareSession` makes.

/**
 * How the root `rootPath` (absolute, normalised, as resolveRoot gives it) resolves now: its real path,
 * the symlinks followed (src/config/root-links.ts), the recorded read-write root each link lies in
 * (`inRecord`: ./record-lookup.ts), and the identity of the path and of its real path.
 */
export function observeRoot(rootPath: string, inRecord: RecordLookup): StoredRoot {
  let realPath: string;
  try {
    realPath = realpathSync.native(rootPath);
  } catch {
    realPath = '?';
  }
  let links: StoredRoot['links'] = [];
  if (realPath !== rootPath && realPath !== '?') {
    try {
      links = symlinksOnPath(rootPath, LOOKUPS);
    } catch {
      links = [{ link: rootPath, target: '?' }];
    }
  }
  return {
    path: rootPath,
    realPath,
    links,
    planted: links.map((link) => inRecord(path.dirname(link.link)) ?? null),
    pathFacts: pathFacts(rootPath, false),
    realFacts: pathFacts(realPath, false),
  };
}

/** `name` looked up on `pathVar` as the launch spec and the backends look programs up. */
export function observeLookup(name: string, pathVar: string | undefined): StoredLookup {
  const found = findOnPath(name, pathVar) ?? null;
  let real: string | null = null;
  if (found !== null) {
    try {
      real = realpathSync(found);
    } catch {
      real = null;
    }
  }
  return { name, found, real };
}

/** The text of a profile or policy file, or null when it cannot be read. */
export function observeText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

const LOOKUPS = {
  isSymlink: (file: string): boolean | undefined => {
    try {
      return lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink();
    } catch {
      return undefined;
    }
  },
  readlink: (file: string): string => readlinkSync(file),
};
