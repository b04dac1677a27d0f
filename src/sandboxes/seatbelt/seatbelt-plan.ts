import path from 'node:path';
import { proxyEnvironment } from '../../network/proxy-env.ts';
import type { LaunchSpec, SandboxPlan } from '../types.ts';
import { canonicalMacPath, isWithin } from './mac-path.ts';
import { collectSeatbeltParams, paramList, type SeatbeltParams } from './seatbelt-params.ts';
import {
  HOME_SECRETS,
  OTHER_USERS_REGEX,
  SYSTEM_SECRETS,
  type SeatbeltNetwork,
  renderSeatbeltProfile,
} from './seatbelt-profile.ts';

/** Absolute path of sandbox-exec; never looked up on PATH (a planted binary would own the sandbox). */
export const SANDBOX_EXEC = '/usr/bin/sandbox-exec';

export interface SeatbeltOptions {
  /** The text of policy.sb, the deny-default base profile the session rules are appended to. */
  basePolicy: string;
  /** The warden user's home directory: its ~/.ssh, ~/.aws and keychains are denied. */
  home: string;
  /**
   * A private directory for this sandbox that does not exist yet: launch creates it (0700), writes
   * the profile to `profile.sb` in it (0600) and gives the server `tmp/` in it as TMPDIR; it is
   * removed when the sandbox exits.
   */
  workDir: string;
}

/** What `plan.details` holds for seatbelt: `explain` prints it, `launch` writes `profile` to `profileFile`. */
export interface SeatbeltDetails {
  /** The complete generated SBPL profile (policy.sb plus the session rules). */
  profile: string;
  profileFile: string;
  /** The -D parameters, in command-line order (also in argv). */
  params: Record<string, string>;
  workDir: string;
  tmpDir: string;
  /**
   * Set with egress by allowlist: the proxy's port on 127.0.0.1 that the profile allows, undefined
   * while the proxy is not listening yet (explain; launch refuses such a plan).
   */
  egress?: { proxyPort?: number };
}

/**
 * Pure: the sandbox-exec plan for `spec`:
 * `/usr/bin/sandbox-exec -f WORKDIR/profile.sb -D EXECUTABLE=... -D ROOT_0=... -- executable args`.
 * Session paths are passed as -D parameters rather than inlined into the profile, so no path is ever
 * parsed as SBPL: the profile text depends only on the shape of the session (how many roots, network
 * on or off), never on the bytes of a path. Paths are canonical macOS paths (/private/var...).
 * Throws WardenError('config') for a path with control characters or that is not absolute.
 */
export function planSeatbelt(spec: LaunchSpec, options: SeatbeltOptions): SandboxPlan {
  const workDir = canonicalMacPath(options.workDir, 'the sandbox work directory');
  const tmpDir = path.posix.join(workDir, 'tmp');
  const profileFile = path.posix.join(workDir, 'profile.sb');
  const params = collectSeatbeltParams(spec, options.home, tmpDir);
  const network = seatbeltNetwork(spec);
  const entry = spec.egress?.loopback?.entry;
  const profile = renderSeatbeltProfile(options.basePolicy, params, network);
  const list = paramList(params);
  const details: SeatbeltDetails = {
    profile,
    profileFile,
    params: Object.fromEntries(list.map((p) => [p.name, p.value])),
    workDir,
    tmpDir,
    ...(network.kind === 'proxy' ? { egress: entry === undefined ? {} : { proxyPort: entry.port } } : {}),
  };
  return {
    backend: 'seatbelt',
    argv: [
      SANDBOX_EXEC,
      '-f',
      profileFile,
      ...list.flatMap((p) => ['-D', `${p.name}=${p.value}`]),
      '--',
      spec.executable,
      ...spec.args,
    ],
    // TMPDIR points into the private directory: the default one (/var/folders/...) is denied.
    // With a proxy, its variables (credential included) replace any the caller passed.
    env: {
      ...spec.env,
      ...(entry === undefined ? {} : proxyEnvironment(entry.port, entry.credential)),
      TMPDIR: tmpDir,
    },
    // Without roots the spec says /tmp, which the profile denies: use the private temp directory.
    cwd: spec.roots.length === 0 ? tmpDir : spec.cwd,
    notes: [
      'filesystem: deny by default; the roots, the runtime and the server code (read-only), a private TMPDIR',
      `never readable, even inside a root: ${[...HOME_SECRETS.map((d) => `~/${d}`), ...SYSTEM_SECRETS].join(', ')}, other users' homes`,
      networkNote(network),
      'processes: exec only of the runtime; signals only within the sandbox; killed with the warden by process group',
      'environment: exactly the given variables, plus TMPDIR (the private temp directory)',
    ],
    unenforced: [
      ...(spec.limits.memoryMb === undefined
        ? []
        : [`memory ${spec.limits.memoryMb} MB (Seatbelt has no memory limit)`]),
      ...(spec.limits.cpus === undefined ? [] : [`cpus ${spec.limits.cpus} (Seatbelt has no cpu limit)`]),
      ...(spec.limits.pids === undefined ? [] : [`pids ${spec.limits.pids} (Seatbelt has no pids limit)`]),
      ...(spec.limits.tmpfsMb === undefined
        ? []
        : [`tmpfs ${spec.limits.tmpfsMb} MB (Seatbelt cannot cap the temp directory)`]),
    ],
    warnings: deniedRootWarnings(params),
    details: { ...details },
  };
}

/** How the sandbox may use the network: from the spec's `network` and its loopback egress. */
function seatbeltNetwork(spec: LaunchSpec): SeatbeltNetwork {
  if (spec.network) return { kind: 'open' };
  const loopback = spec.egress?.loopback;
  if (loopback === undefined) return { kind: 'none' };
  return loopback.entry === undefined ? { kind: 'proxy' } : { kind: 'proxy', port: loopback.entry.port };
}

function networkNote(network: SeatbeltNetwork): string {
  if (network.kind === 'open') return 'network: allowed by the profile (outbound, local listening, DNS)';
  if (network.kind === 'none') return 'network: denied (deny network*)';
  const where = network.port === undefined ? 'PORT (picked when run starts the proxy)' : String(network.port);
  return `network: egress by allowlist: denied (deny network*) except network-outbound to the warden's proxy at localhost:${where}; the proxy variables carry the session's credential, without which the proxy answers 407; no DNS, UDP, unix sockets or listening`;
}

/** Roots that the final denials cover entirely: the server cannot use them, and the user should know. */
function deniedRootWarnings(params: SeatbeltParams): string[] {
  const home = params.home.value;
  const denied = [...HOME_SECRETS.map((d) => path.posix.join(home, d)), ...SYSTEM_SECRETS];
  const otherUsers = new RegExp(OTHER_USERS_REGEX);
  const warnings: string[] = [];
  for (const root of params.roots) {
    const secret = denied.find((dir) => isWithin(root.value, dir));
    const foreign =
      otherUsers.test(root.value) && !isWithin(root.value, home) && !isWithin(root.value, '/Users/Shared');
    if (secret !== undefined || foreign) {
      warnings.push(
        `root ${root.value} lies in ${secret ?? "another user's home"}, which the seatbelt profile always denies; the server cannot use it`,
      );
    }
  }
  return warnings;
}
