import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { homeDir } from '../util/home-dir.ts';
import { loadProfileCached } from '../config/profile-cache.ts';
import type { Profile } from '../config/profile-schema.ts';
import type { ResolvedRoot } from '../config/root.ts';
import { WardenError, errorMessage } from '../errors.ts';
import { buildLaunchSpec } from '../sandboxes/launch-spec/build-launch-spec.ts';
import { getBackend, pickAuto } from '../sandboxes/registry.ts';
import type { PolicyContext } from '../policy/types.ts';
import type { Backend, LaunchSpec, SandboxPlan } from '../sandboxes/types.ts';
import { hostPaths } from '../util/host-paths.ts';
import { cacheDir } from '../util/cache-dir.ts';
import { parseEnvArg, parseRootArg, type RunArgs } from './args.ts';

/** Everything `run` needs to start a session, and everything `explain` prints. */
export interface PreparedSession {
  profile: Profile;
  backend: Backend;
  roots: ResolvedRoot[];
  spec: LaunchSpec;
  plan: SandboxPlan;
  /** Things the user must know (no isolation, unenforced limits, skipped env vars), for stderr. */
  warnings: string[];
}

export interface PrepareOptions {
  hostEnv: NodeJS.ProcessEnv;
  /**
   * false: do not probe a backend named by --profile, so `explain` can show the plan of a backend that
   * cannot run here (e.g. seatbelt on Linux). Undefined/true: an unavailable backend throws
   * backend-unavailable. `auto` always probes: that is how it picks.
   */
  probe?: boolean;
  onProgress?: (line: string) => void;
}

/** Resolve profile, backend, roots, environment and command into a launch plan. Throws WardenError. */
export async function prepareSession(args: RunArgs, options: PrepareOptions): Promise<PreparedSession> {
  const warnings: string[] = [];
  const cache = cacheDir(options.hostEnv);
  const { profile, backend } = await selectProfile(args, cache, options.probe ?? true);
  applyOverrides(profile, args);
  const roots = args.roots.map((value) => resolveRoot(value));
  const env = buildEnv(args.env, options.hostEnv, warnings);
  const spec = await buildLaunchSpec({
    command: args.command,
    roots,
    env,
    limits: profile.limits,
    network: profile.network,
    cacheDir: cache,
    hostPath: options.hostEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  spec.readOnlyPaths.push(...profile.readOnlyPaths);
  if (profile.container) spec.containerImage = profile.container;
  await backend.load?.();
  const plan = backend.plan(spec);
  if (backend.name === 'none') {
    warnings.push(
      'WARNING: profile "none" runs the server WITHOUT any isolation. Only the policy layer protects you; the server can read and write anything your user can. Use --profile bwrap (or auto).',
    );
  }
  for (const limit of plan.unenforced) warnings.push(`the ${backend.name} backend cannot enforce ${limit}`);
  warnings.push(...(plan.warnings ?? []));
  return { profile, backend, roots, spec, plan, warnings };
}

async function selectProfile(
  args: RunArgs,
  cacheDir: string,
  probe: boolean,
): Promise<{ profile: Profile; backend: Backend }> {
  if (args.profile === 'auto') {
    const backend = await pickAuto({ cacheDir });
    return { profile: await loadProfileCached(backend.name, args.policy, cacheDir), backend };
  }
  const profile = await loadProfileCached(args.profile, args.policy, cacheDir);
  const backend = getBackend(profile.backend);
  if (!probe) return { profile, backend };
  const availability = await backend.probe({ cacheDir });
  if (!availability.available) {
    throw new WardenError(
      'backend-unavailable',
      `the ${backend.name} backend cannot run here: ${availability.reason}`,
      {
        hint: availability.fix,
      },
    );
  }
  return { profile, backend };
}

function applyOverrides(profile: Profile, args: RunArgs): void {
  if (args.onBreach) profile.onServerBreach = args.onBreach;
  if (args.memoryMb !== undefined) profile.limits.memoryMb = args.memoryMb;
  if (args.cpus !== undefined) profile.limits.cpus = args.cpus;
  if (args.timeoutMs !== undefined) profile.policy.limits.requestTimeoutMs = args.timeoutMs;
}

/** Check one --root value: absolute (or ~), an existing directory; record its realpath. */
export function resolveRoot(value: string): ResolvedRoot {
  const { path: given, readOnly } = parseRootArg(value);
  const expanded = given === '~' || given.startsWith('~/') ? path.join(homeDir(), given.slice(1)) : given;
  if (!path.isAbsolute(expanded)) {
    throw new WardenError('usage', `--root ${value}: the path must be absolute`, {
      hint: `use --root ${path.resolve(expanded)}${readOnly ? ':ro' : ''} if that is what you mean`,
    });
  }
  const normal = path.resolve(expanded);
  let realPath: string;
  try {
    if (!statSync(normal).isDirectory()) throw new Error('not a directory');
    realPath = realpathSync.native(normal);
  } catch (error) {
    throw new WardenError('usage', `--root ${value}: ${errorMessage(error)}`, {
      hint: 'a root must be an existing directory',
    });
  }
  return { path: normal, readOnly, realPath };
}

function buildEnv(
  specs: readonly string[],
  hostEnv: NodeJS.ProcessEnv,
  warnings: string[],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const spec of specs) {
    const { name, value } = parseEnvArg(spec);
    const resolved = value ?? hostEnv[name];
    if (resolved === undefined) {
      warnings.push(`--env ${name}: not set in the warden's environment; the server will not get it`);
      continue;
    }
    env[name] = resolved;
  }
  return env;
}

/**
 * The host facts and settings the policy engine needs for a prepared session: its policy and roots,
 * the host's path lookups, and the tool pins of `lockFile` (default: the profile's), loaded only when
 * one is configured (the lock-file modules are not on the start-up path otherwise).
 */
export async function policyContext(prepared: PreparedSession, lockFile?: string): Promise<PolicyContext> {
  const file = lockFile ?? prepared.profile.policy.guards.lockFile;
  return {
    policy: prepared.profile.policy,
    roots: prepared.roots,
    home: homeDir(),
    realpath: hostPaths.realpath,
    readlink: hostPaths.readlink,
    ...(file === undefined ? {} : (await import('./tool-lock.ts')).loadToolLock(file)),
  };
}
