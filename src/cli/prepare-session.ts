import { statSync } from 'node:fs';
import path from 'node:path';
import { homeDir } from '../util/home-dir.ts';
import { loadProfileCached } from '../config/profile-cache.ts';
import type { Profile } from '../config/profile-schema.ts';
import type { ResolvedRoot } from '../config/root.ts';
import { readRwRoots, recordRwRoots } from '../config/rw-root-record.ts';
import { WardenError } from '../errors.ts';
import { buildLaunchSpec } from '../sandboxes/launch-spec/build-launch-spec.ts';
import { type PreparedEgress, applyEgress, planEgress } from '../network/prepare-egress.ts';
import { checkServerName, ensureStateHome } from '../sandboxes/launch-spec/state-home.ts';
import { getBackend, pickAuto } from '../sandboxes/registry.ts';
import type { PolicyContext } from '../policy/types.ts';
import type { Backend, BackendName, LaunchSpec, SandboxPlan } from '../sandboxes/types.ts';
import { hostPaths } from '../util/host-paths.ts';
import { cacheDir } from '../util/cache-dir.ts';
import { stateDir } from '../util/state-dir.ts';
import { parseEnvArg, type RunArgs } from './args.ts';
import { envPathWarnings } from './env-path-warnings.ts';
import { narrowRoots } from './narrow-roots.ts';
import { learningEgress, learningNetwork } from '../learn/learning-network.ts';
import {
  checkConfirmations,
  describeResolution,
  resolveRoot,
  type RootResolution,
  toResolvedRoot,
} from './resolve-root.ts';

/** Everything `run` needs to start a session, and everything `explain` prints. */
export interface PreparedSession {
  profile: Profile;
  backend: Backend;
  roots: ResolvedRoot[];
  /** How each root's given path resolved (links followed, confirmations), in `roots` order. */
  rootResolutions: RootResolution[];
  spec: LaunchSpec;
  plan: SandboxPlan;
  /** Things the user must know (no isolation, unenforced limits, skipped env vars), for stderr. */
  warnings: string[];
  /** How the server reaches the network (src/network): none, unfiltered, or the proxy's socket. */
  egress: PreparedEgress;
}

export interface PrepareOptions {
  hostEnv: NodeJS.ProcessEnv;
  /**
   * false: do not probe a backend named by --profile, so `explain` can show the plan of a backend that
   * cannot run here (e.g. seatbelt on Linux). Undefined/true: an unavailable backend throws
   * backend-unavailable. `auto` always probes: that is how it picks.
   */
  probe?: boolean;
  /**
   * false: do not add the rw roots to the state dir's record, nor create the server's state home (a
   * dry run mounts nothing). Undefined/true: record them, so a symlink a server plants in them is
   * refused as a later session's root, and create the home.
   */
  record?: boolean;
  onProgress?: (line: string) => void;
  /**
   * For `auto`: backends to pass over (name → why), because they probed fine but failed to launch.
   * Undefined: none.
   */
  skipBackends?: ReadonlyMap<BackendName, string>;
  /**
   * Replaces the profile's `network` (a gateway server entry's own); `args.allowHost` still adds to
   * it as on the command line. Undefined: the profile's.
   */
  network?: Profile['network'];
  /** true: a launch follows (run): let the backend start ahead what it can (Backend.prestart). */
  prestart?: boolean;
}

/** Resolve profile, backend, roots, environment and command into a launch plan. Throws WardenError. */
export async function prepareSession(args: RunArgs, options: PrepareOptions): Promise<PreparedSession> {
  const warnings: string[] = [];
  const cache = cacheDir(options.hostEnv);
  const { profile, backend } = await selectProfile(args, cache, options.probe ?? true, options.skipBackends);
  if (options.prestart === true) backend.prestart?.();
  applyOverrides(profile, args);
  if (options.network !== undefined) profile.network = options.network;
  if (args.learnNetwork === true) profile.network = learningNetwork(profile.network, profile.name);
  const { resolutions: rootResolutions, recordedRw } = resolveRoots(args, profile, options, warnings);
  const roots = rootResolutions.map(toResolvedRoot);
  const env = buildEnv(withProfileEnv(args.env, profile.env), options.hostEnv, warnings);
  const egress = planEgress(profile.network, args.allowHost ?? [], backend.name, warnings);
  if (args.learnNetwork === true) egress.mode = learningEgress(egress.mode);
  const spec = await buildLaunchSpec({
    command: args.command,
    roots,
    env,
    limits: profile.limits,
    network: egress.mode.kind === 'unfiltered',
    cacheDir: cache,
    stateDir: stateDir(options.hostEnv),
    ...(args.name === undefined ? {} : { serverName: checkServerName(args.name) }),
    hostPath: options.hostEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    onWarning: (line) => warnings.push(line),
  });
  for (const file of profile.readOnlyPaths) {
    spec.readOnlyPaths.push(file);
    spec.readOnlyWhy = { [file]: `the profile's readOnlyPaths (${profile.name})`, ...spec.readOnlyWhy };
  }
  if (profile.container) spec.containerImage = profile.container;
  await applyEgress(spec, egress, cache);
  await backend.load?.();
  const plan = backend.plan(spec);
  if (backend.name === 'none') {
    warnings.push(
      'WARNING: profile "none" runs the server WITHOUT any isolation. Only the policy layer protects you; the server can read and write anything your user can. Use --profile bwrap (or auto).',
    );
  }
  for (const limit of plan.unenforced) warnings.push(`the ${backend.name} backend cannot enforce ${limit}`);
  warnings.push(...(plan.warnings ?? []));
  // Without isolation every host path is visible; elsewhere a path in --env may not be.
  if (backend.name !== 'none') {
    warnings.push(
      ...envPathWarnings(env, {
        roots,
        stateHome: spec.stateHome?.path,
        readOnlyPaths: spec.readOnlyPaths,
        realpath: realpathOfPrefix,
        isDirectory,
      }),
    );
  }
  if (spec.stateHome !== undefined && options.record !== false) {
    warnings.push(...(await ensureStateHome(spec.stateHome.path, plan.runAs)));
    // A server writes what it likes in its home, links included: a later --root through one is
    // refused like one through a read-write root (the record holds homes/, every server's home).
    const homes = hostPaths.realpath(path.dirname(spec.stateHome.path));
    if (homes !== undefined) {
      recordRwRoots(stateDir(options.hostEnv), [homes], recordedRw, (line) => void warnings.push(line));
    }
  }
  return { profile, backend, roots, rootResolutions, spec, plan, warnings, egress };
}

async function selectProfile(
  args: RunArgs,
  cacheDir: string,
  probe: boolean,
  skip?: ReadonlyMap<BackendName, string>,
): Promise<{ profile: Profile; backend: Backend }> {
  if (args.profile === 'auto') {
    const backend = await pickAuto({ cacheDir }, skip);
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
  if (args.strictProtocol) profile.policy.strayOutput.strict = true;
}

/**
 * Resolve every --root against the record of earlier rw roots (refusing a planted link unless
 * confirmed), say on `warnings` where each root really is when that differs from its given path, then
 * record this session's rw roots (unless `options.record` is false).
 */
function resolveRoots(
  args: RunArgs,
  profile: Profile,
  options: PrepareOptions,
  warnings: string[],
): { resolutions: RootResolution[]; recordedRw: string[] } {
  const state = stateDir(options.hostEnv);
  const onWarning = (line: string): void => void warnings.push(line);
  const recordedRw = readRwRoots(state, onWarning);
  const allowSymlink = args.allowRootSymlink ?? [];
  const given = args.roots.map((value) => resolveRoot(value, { recordedRw, allowSymlink }));
  checkConfirmations(allowSymlink, given);
  const limits = profile.roots?.map((value, i) => {
    try {
      return resolveRoot(value, { recordedRw, allowSymlink });
    } catch (error) {
      if (!(error instanceof WardenError)) throw error;
      throw new WardenError('config', `profile "${profile.name}" roots[${i}]: ${error.message}`, {
        ...(error.hint === undefined ? {} : { hint: error.hint }),
      });
    }
  });
  const resolutions = narrowRoots(given, limits, profile.name);
  for (const root of resolutions) {
    const line = describeResolution(root);
    if (line !== undefined) warnings.push(line);
  }
  if (options.record !== false) {
    const rw = resolutions.filter((root) => !root.readOnly).map((root) => root.realPath);
    recordRwRoots(state, rw, recordedRw, onWarning);
  }
  return { resolutions, recordedRw };
}

/** The --env values, then the profile's `env` names not already given (taken from the warden's environment). */
function withProfileEnv(specs: readonly string[], names: readonly string[] | undefined): string[] {
  if (names === undefined) return [...specs];
  const given = new Set(specs.map((spec) => parseEnvArg(spec).name));
  return [...specs, ...names.filter((name) => !given.has(name))];
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
    exists: hostPaths.exists,
    ...(file === undefined ? {} : (await import('./tool-lock.ts')).loadToolLock(file)),
  };
}

/** realpath of the longest existing prefix of an absolute path, with the rest appended. */
function realpathOfPrefix(file: string): string {
  let head = file;
  const tail: string[] = [];
  for (;;) {
    const real = hostPaths.realpath(head);
    if (real !== undefined) return tail.length === 0 ? real : `${real}/${tail.reverse().join('/')}`;
    const parent = head.slice(0, head.lastIndexOf('/')) || '/';
    if (parent === head) return file;
    tail.push(head.slice(head.lastIndexOf('/') + 1));
    head = parent;
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
