import { readProfileSource } from '../../config/profile-source.ts';
import type { SandboxPlan } from '../../sandboxes/types.ts';
import { parseRootArg, type RunArgs } from '../args.ts';
import type { PreparedSession } from '../prepare-session.ts';
import { normalRootPath } from '../resolve-root.ts';
import { ENTRY_VERSION, type FastStartEntry, type StoredPlan } from './cache-entry.ts';
import { observeLookup, observeRoot } from './observe.ts';
import { pathFacts } from './path-facts.ts';
import type { RecordLookup } from './record-lookup.ts';
import { envValuesHash, type StartKey } from './start-key.ts';

/** bwrap options that bind a host path (the first argument) into the sandbox. */
const BIND_OPTIONS = new Set([
  '--bind',
  '--bind-try',
  '--ro-bind',
  '--ro-bind-try',
  '--dev-bind',
  '--dev-bind-try',
]);
/** Of those, the ones that bind it writable (its contents change by design). */
const WRITABLE_BINDS = new Set(['--bind', '--bind-try', '--dev-bind', '--dev-bind-try']);

/**
 * The cache entry for a session prepared from `args` in `env`, whose launch-relevant plan is `plan`
 * (cache-entry.ts storedPlan), with the record of read-write roots `inRecord`: the profile texts, the
 * roots' resolutions, the programs looked up on
 * PATH, and the facts of every host path the plan mounts or runs, observed now, right after the
 * session was prepared, exactly as entry-checks.ts observes them on a later start.
 */
export function buildEntry(
  key: StartKey,
  prepared: PreparedSession,
  plan: StoredPlan,
  args: RunArgs,
  env: NodeJS.ProcessEnv,
  inRecord: RecordLookup,
): FastStartEntry {
  const source = readProfileSource(
    args.profile === 'auto' ? prepared.backend.name : args.profile,
    args.policy,
  );
  const profiles = [{ file: source.file, text: source.text }];
  if (source.policyFile !== undefined && source.policyText !== undefined)
    profiles.push({ file: source.policyFile, text: source.policyText });
  const roots = [...args.roots, ...(prepared.profile.roots ?? [])].flatMap((value) => {
    const normal = normalRootPath(parseRootArg(value).path);
    return normal === undefined ? [] : [observeRoot(normal, inRecord)];
  });
  const passed = [...(prepared.profile.env ?? [])];
  const lookups = [
    'setpriv',
    ...(plan.backend === 'bwrap' ? ['bwrap'] : []),
    ...(args.command[0] === undefined ? [] : [args.command[0]]),
  ].map((name) => observeLookup(name, env.PATH));
  return {
    version: ENTRY_VERSION,
    key,
    plan,
    profiles,
    roots,
    paths: watchedPaths(prepared).map(({ path, content }) => ({
      path,
      content,
      facts: pathFacts(path, content),
    })),
    lookups,
    passedEnv: { names: passed, hash: envValuesHash(passed, env) },
  };
}

/**
 * The host paths a prepared launch depends on: the programs it runs, every path a bwrap plan binds,
 * the server's executable and its read-only paths. `content` is false for the roots, the state home
 * and writable binds, whose contents change by design: only their identity counts.
 */
export function watchedPaths(prepared: PreparedSession): Array<{ path: string; content: boolean }> {
  const identityOnly = new Set<string>();
  for (const root of prepared.roots) identityOnly.add(root.path).add(root.realPath);
  if (prepared.spec.stateHome !== undefined) identityOnly.add(prepared.spec.stateHome.path);
  const { programs, sources, writable } = argvPaths(prepared.plan);
  for (const file of writable) identityOnly.add(file);
  const paths = new Set([...programs, ...sources, prepared.spec.executable, ...prepared.spec.readOnlyPaths]);
  return [...paths].map((file) => ({ path: file, content: !identityOnly.has(file) }));
}

/**
 * Pure: the host paths in a host-process plan's argv: the programs run on the host (setpriv, then
 * bwrap or the server), and for bwrap every bind's source, those bound writable apart.
 */
export function argvPaths(plan: SandboxPlan): { programs: string[]; sources: string[]; writable: string[] } {
  const { argv } = plan;
  // setpriv --pdeathsig KILL -- PROGRAM...
  const start = argv[1] === '--pdeathsig' ? argv.indexOf('--') + 1 : 0;
  const programs = [argv[0], argv[start]].filter((file): file is string => file !== undefined);
  const sources: string[] = [];
  const writable: string[] = [];
  if (plan.backend === 'bwrap') {
    // bwrap's own options end at its `--`; what follows is the server's command line.
    for (let i = start + 1; i < argv.length && argv[i] !== '--'; i += 1) {
      const option = argv[i] as string;
      const source = argv[i + 1];
      if (!BIND_OPTIONS.has(option) || source === undefined) continue;
      sources.push(source);
      if (WRITABLE_BINDS.has(option)) writable.push(source);
      i += 2;
    }
  }
  return { programs, sources, writable };
}
