import type { SandboxPlan } from '../../sandboxes/types.ts';
import { fastHashHex } from '../../util/fast-hash.ts';
import type { StartKey } from './start-key.ts';

// No zod here: this module is on the path that spawns a cached plan before the rest of the warden has
// loaded, and loading zod costs tens of milliseconds (as in src/config/profile-source.ts). The entry is
// checked field by field by isEntry below instead.

/** Bumped whenever the entry's shape or meaning changes: an entry of another version is a miss. */
export const ENTRY_VERSION = 2;

/**
 * Exactly what a host-process backend's launch reads from a plan (bwrap-launch.ts, none-launch.ts,
 * isolate-backend.ts).
 */
export interface StoredPlan {
  backend: 'bwrap' | 'none' | 'isolate';
  argv: string[];
  /**
   * The spawned process's environment (bwrap: empty; none: the server's, --env values included;
   * isolate: the host's configuration, the guest's environment included).
   */
  env: Record<string, string>;
  cwd: string;
  /** plan.inputs, base64: bwrap's --setenv arguments (values included) and its seccomp program. */
  inputs: string[];
  /**
   * plan.details as JSON (bwrap: the descriptors, redacted, and the private device nodes; isolate: the
   * host's configuration, which its launch reads for the limits it reports); null: none.
   */
  details: unknown;
}

/** One root as resolveRoot saw it (src/cli/resolve-root.ts), and the facts it rests on. */
export interface StoredRoot {
  /** The root's path as given, normalised. */
  path: string;
  realPath: string;
  /** The symlinks followed from `path` to `realPath`, in order. */
  links: Array<{ link: string; target: string }>;
  /** For each link, the recorded read-write root it lies in (the user confirmed it), or null. */
  planted: Array<string | null>;
  /** pathFacts of `path` and of `realPath`, without content times (a root's contents change by design). */
  pathFacts: string;
  realFacts: string;
}

/** A program name the plan depends on, as it was looked up on PATH. */
export interface StoredLookup {
  name: string;
  /** findOnPath's answer, or null. */
  found: string | null;
  /** Its real path, or null. */
  real: string | null;
}

/** The cache file: one prepared launch of a `run` configuration and everything its checks compare. */
export interface FastStartEntry {
  version: number;
  key: StartKey;
  plan: StoredPlan;
  /** The profile file and the --policy file the session read, with their exact text. */
  profiles: Array<{ file: string; text: string }>;
  /** Every --root and every root of the profile, resolved. */
  roots: StoredRoot[];
  /** Host paths the plan mounts or runs, with pathFacts (`content`: with times). */
  paths: Array<{ path: string; content: boolean; facts: string }>;
  lookups: StoredLookup[];
  /**
   * The variables the profile passes to the server from the warden's environment (its `env` names),
   * with a hash of their values then (start-key.ts envValuesHash): not part of the key, which is made
   * before the profile is known.
   */
  passedEnv: { names: string[]; hash: string };
}

/** The launch-relevant part of `plan`, for storing; undefined when it is not a plain host-process plan. */
export function storedPlan(plan: SandboxPlan): StoredPlan | undefined {
  if (plan.backend !== 'bwrap' && plan.backend !== 'none' && plan.backend !== 'isolate') return undefined;
  if (plan.handoff !== undefined) return undefined;
  let details: unknown;
  try {
    details = JSON.parse(JSON.stringify(plan.details ?? null)) as unknown;
  } catch {
    return undefined;
  }
  return {
    backend: plan.backend,
    argv: [...plan.argv],
    env: { ...plan.env },
    cwd: plan.cwd,
    inputs: (plan.inputs ?? []).map((data) => Buffer.from(data).toString('base64')),
    details,
  };
}

/** The plan to launch from a stored one (notes and the like, which no launch reads, left empty). */
export function planOf(stored: StoredPlan): SandboxPlan {
  return {
    backend: stored.backend,
    argv: [...stored.argv],
    env: { ...stored.env },
    cwd: stored.cwd,
    ...(stored.inputs.length === 0
      ? {}
      : { inputs: stored.inputs.map((data) => new Uint8Array(Buffer.from(data, 'base64'))) }),
    ...(stored.details === null ? {} : { details: stored.details as Record<string, unknown> }),
    notes: [],
    unenforced: [],
  };
}

/** The first launch-relevant field in which `a` and `b` differ, or undefined when they launch the same. */
export function planDifference(a: StoredPlan, b: StoredPlan): string | undefined {
  for (const field of ['backend', 'argv', 'env', 'cwd', 'inputs', 'details'] as const) {
    if (JSON.stringify(a[field]) !== JSON.stringify(b[field])) return field;
  }
  return undefined;
}

/**
 * The cache file's text for `entry`: a checksum line (a fast hash of the rest), then the entry as JSON.
 * The checksum catches a torn or hand-edited file, not a forger (see docs/performance.md): whoever can
 * write the user's cache directory can recompute it.
 */
export function serializeEntry(entry: FastStartEntry): string {
  const json = JSON.stringify(entry);
  return `${fastHashHex(json)}\n${json}`;
}

/** Parse a cache file's text; undefined for anything that is not an intact entry of this version. */
export function parseEntry(text: string): FastStartEntry | undefined {
  const newline = text.indexOf('\n');
  if (newline < 0) return undefined;
  const json = text.slice(newline + 1);
  if (text.slice(0, newline) !== fastHashHex(json)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  return isEntry(value) ? value : undefined;
}

function isEntry(value: unknown): value is FastStartEntry {
  if (!isObject(value) || value.version !== ENTRY_VERSION) return false;
  const { key, plan, profiles, roots, paths, lookups, passedEnv } = value;
  return (
    isObject(key) &&
    isStrings(key.argv) &&
    ['cwd', 'node', 'warden', 'env'].every((field) => typeof key[field] === 'string') &&
    isPlan(plan) &&
    isArrayOf(profiles, (p) => typeof p.file === 'string' && typeof p.text === 'string') &&
    isArrayOf(roots, isRoot) &&
    isArrayOf(
      paths,
      (p) => typeof p.path === 'string' && typeof p.content === 'boolean' && typeof p.facts === 'string',
    ) &&
    isArrayOf(
      lookups,
      (l) => typeof l.name === 'string' && isStringOrNull(l.found) && isStringOrNull(l.real),
    ) &&
    isObject(passedEnv) &&
    isStrings(passedEnv.names) &&
    typeof passedEnv.hash === 'string'
  );
}

function isPlan(value: unknown): value is StoredPlan {
  if (!isObject(value)) return false;
  return (
    (value.backend === 'bwrap' || value.backend === 'none' || value.backend === 'isolate') &&
    isStrings(value.argv) &&
    value.argv.length > 0 &&
    isObject(value.env) &&
    Object.values(value.env).every((v) => typeof v === 'string') &&
    typeof value.cwd === 'string' &&
    isStrings(value.inputs) &&
    'details' in value &&
    (value.details === null || isObject(value.details))
  );
}

function isRoot(value: Record<string, unknown>): boolean {
  return (
    typeof value.path === 'string' &&
    typeof value.realPath === 'string' &&
    isArrayOf(value.links, (l) => typeof l.link === 'string' && typeof l.target === 'string') &&
    Array.isArray(value.planted) &&
    value.planted.every(isStringOrNull) &&
    typeof value.pathFacts === 'string' &&
    typeof value.realFacts === 'string'
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isStringOrNull(value: unknown): boolean {
  return value === null || typeof value === 'string';
}

function isArrayOf(value: unknown, check: (item: Record<string, unknown>) => boolean): boolean {
  return Array.isArray(value) && value.every((item) => isObject(item) && check(item));
}
