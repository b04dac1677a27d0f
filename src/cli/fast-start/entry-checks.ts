import { realpathSync } from 'node:fs';
import path from 'node:path';
import { stateDir } from '../../util/state-dir.ts';
import type { FastStartEntry } from './cache-entry.ts';
import { observeLookup, observeRoot, observeText } from './observe.ts';
import { pathFacts } from './path-facts.ts';
import { type RecordLookup, recordLookup } from './record-lookup.ts';
import { envValuesHash } from './start-key.ts';

/**
 * Cheap checks that the security-relevant inputs of a cached launch are what they were when it was
 * stored, so that it may be spawned before `prepareSession` has confirmed it: the profile and policy
 * texts; every root's resolution (real path, the links followed and whether a recorded read-write root
 * now holds one of them, the identity of the path and of its real path); the programs looked up on
 * PATH; every host path the plan mounts or runs (identity, and times where `content`); and the values
 * of the variables the profile passes to the server (the key holds the rest). Also that
 * the cache directory `dir` lies in no recorded read-write root (where a sandboxed server could have
 * written the entry). Returns what differs, or undefined when nothing does. Never throws.
 */
export function entryProblem(entry: FastStartEntry, env: NodeJS.ProcessEnv, dir: string): string | undefined {
  const inRecord = recordLookup(stateDir(env));
  const exposed = exposedDirProblem(dir, inRecord);
  if (exposed !== undefined) return exposed;
  for (const { file, text } of entry.profiles) {
    if (observeText(file) !== text) return `${file} changed`;
  }
  for (const stored of entry.roots) {
    const now = observeRoot(stored.path, inRecord);
    if (JSON.stringify(now) !== JSON.stringify(stored)) return `root ${stored.path} changed`;
  }
  if (envValuesHash(entry.passedEnv.names, env) !== entry.passedEnv.hash)
    return `a variable the profile passes to the server (${entry.passedEnv.names.join(', ')}) changed`;
  for (const stored of entry.lookups) {
    const now = observeLookup(stored.name, env.PATH);
    if (now.found !== stored.found || now.real !== stored.real) return `${stored.name} on PATH changed`;
  }
  for (const stored of entry.paths) {
    if (pathFacts(stored.path, stored.content) !== stored.facts) return `${stored.path} changed`;
  }
  return undefined;
}

/**
 * Why cached launches must not be read from or written to `dir`: it lies in a directory some session
 * mounted read-write (`inRecord`), where a sandboxed server could have written an entry of its own.
 * Undefined when it does not. `dir` need not exist yet. Never throws.
 */
export function exposedDirProblem(dir: string, inRecord: RecordLookup): string | undefined {
  const writable = inRecord(realPathOf(dir));
  return writable === undefined
    ? undefined
    : `the cache directory ${dir} lies in ${writable}, a read-write root of an earlier session`;
}

/** The real path of `file`, or of its deepest existing parent with the rest appended. */
function realPathOf(file: string): string {
  const rest: string[] = [];
  for (let head = file; ; head = path.dirname(head)) {
    try {
      return path.join(realpathSync.native(head), ...rest.reverse());
    } catch {
      if (head === path.dirname(head)) return file;
      rest.push(path.basename(head));
    }
  }
}
