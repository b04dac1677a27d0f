import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { WardenError } from '../../errors.ts';
import { cacheDir } from '../../util/cache-dir.ts';
import { readCached, writeCached } from '../../util/disk-cache.ts';
import { findOnPath, findSetpriv } from '../process/find-on-path.ts';
import { type SeccompArch, seccompArch } from '../seccomp/bpf-program.ts';
import type { Availability, Backend, ProbeOptions } from '../types.ts';
import { launchBwrapPlan } from './bwrap-launch.ts';
import { MASKED_PROC_FILES, planBwrap } from './bwrap-plan.ts';
import { devicesOwnedBy, privateDevicesDir } from './private-devices.ts';

const PROBE_TIMEOUT_MS = 5000;
/** How long a successful trial run is trusted on disk (the binary and kernel are part of the key). */
const PROBE_CACHE_MS = 10 * 60 * 1000;
const INSTALL_FIX = 'apt-get install -y bubblewrap (or your distribution’s bubblewrap package)';

let probed: Promise<Availability> | undefined;

/** bwrap from the warden's PATH; undefined when missing. */
function findBwrap(): string | undefined {
  return findOnPath('bwrap', process.env.PATH);
}

/**
 * Linux namespaces via bubblewrap: only the roots and the runtime are mounted; no network.
 * Known limit (bwrap 0.8): --die-with-parent is armed only after bwrap has set up, so a warden SIGKILLed
 * in those first milliseconds could leak the sandbox; bwrap is therefore started through
 * `setpriv --pdeathsig KILL` when setpriv exists, which leaves only the microseconds before setpriv's
 * prctl. Once the server runs, killing the warden kills the sandbox (tested).
 */
export const bwrapBackend: Backend = {
  name: 'bwrap',
  probe(options: ProbeOptions = {}) {
    probed ??= probeBwrap(options.cacheDir);
    return probed;
  },
  plan(spec) {
    // Resolved on every plan (cheap) so `explain` shows the real path; "bwrap" if it is missing,
    // in which case launch fails with launch-failed naming it.
    // The sandbox user maps to the warden's uid: for root, the owner of the host's /dev/null... and, to
    // procfs, the one uid allowed to write sysctls.
    const uid = process.getuid?.();
    const owned = devicesOwnedBy(uid);
    return planBwrap(spec, {
      bwrap: findBwrap() ?? 'bwrap',
      setpriv: findSetpriv(),
      arch: hostArch(),
      maskProcFiles: MASKED_PROC_FILES.filter((file) => existsSync(file)),
      readOnlyProc: uid === 0,
      ...(owned.length === 0 ? {} : { privateDevices: { dir: privateDevicesDir(cacheDir()), nodes: owned } }),
    });
  },
  // Private device nodes, then plan.inputs (the --setenv arguments and the seccomp program) on fds 3
  // and 4: ./bwrap-launch.ts, shared with the start of a cached plan (src/cli/fast-start).
  launch: (plan) => launchBwrapPlan(plan),
};

const UNSUPPORTED_ARCH_FIX = 'use --profile docker or gvisor, or --profile none to run without isolation';

/** The seccomp architecture of this warden; throws when the filter has no syscall table for it. */
function hostArch(): SeccompArch {
  const arch = seccompArch(process.arch);
  if (arch === undefined) {
    throw new WardenError(
      'backend-unavailable',
      `the bwrap backend has no seccomp filter for ${process.arch} (only x64 and arm64)`,
      { hint: UNSUPPORTED_ARCH_FIX },
    );
  }
  return arch;
}

async function probeBwrap(cacheDir: string | undefined): Promise<Availability> {
  if (process.platform !== 'linux') {
    return {
      available: false,
      reason: `bubblewrap needs Linux (this is ${process.platform})`,
      fix: 'use --profile none',
    };
  }
  // Never a sandbox without its seccomp filter: refused where there is no syscall table for it.
  if (seccompArch(process.arch) === undefined) {
    return {
      available: false,
      reason: `no seccomp filter for ${process.arch} (only x64 and arm64)`,
      fix: UNSUPPORTED_ARCH_FIX,
    };
  }
  const bwrap = findBwrap();
  if (bwrap === undefined) return { available: false, reason: 'bwrap is not on PATH', fix: INSTALL_FIX };
  // The trial run below costs a process spawn and loading execa; a recent success with the same binary,
  // kernel and user is trusted instead. Failures are never cached, so a fix takes effect at once.
  const key = cacheKey(bwrap);
  const cached =
    cacheDir === undefined || key === undefined
      ? undefined
      : readCached<Availability>(cacheDir, key, PROBE_CACHE_MS);
  if (cached?.available === true) return cached;
  const result = await trialRun(bwrap);
  if (result.available && cacheDir !== undefined && key !== undefined) writeCached(cacheDir, key, result);
  return result;
}

/** The kernel release, as os.release() reports it, without loading node:os (start-up time). */
function kernelRelease(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    return process.getBuiltinModule('node:os').release();
  }
}

function cacheKey(bwrap: string): string | undefined {
  try {
    const real = realpathSync(bwrap);
    const stat = statSync(real);
    return `bwrap-probe\0${real}\0${stat.mtimeMs}\0${stat.size}\0${kernelRelease()}\0${process.getuid?.() ?? ''}`;
  } catch {
    return undefined;
  }
}

async function trialRun(bwrap: string): Promise<Availability> {
  const { execa } = await import('execa');
  // A real (if trivial) sandbox: user namespaces can be disabled by sysctl, AppArmor or seccomp even
  // when the binary is present.
  const result = await execa(bwrap, ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', 'true'], {
    timeout: PROBE_TIMEOUT_MS,
    reject: false,
    env: {},
    extendEnv: false,
    stdin: 'ignore',
  });
  if (result.timedOut) {
    return {
      available: false,
      reason: `bwrap probe timed out after ${PROBE_TIMEOUT_MS} ms`,
      fix: INSTALL_FIX,
    };
  }
  if (result.exitCode !== 0) {
    const message = result.stderr.trim() || `exit status ${result.exitCode ?? result.signal}`;
    return { available: false, reason: `bwrap cannot create a sandbox: ${message}`, fix: kernelFix(message) };
  }
  const version = await execa(bwrap, ['--version'], { reject: false, timeout: PROBE_TIMEOUT_MS });
  const match = /(\d+\.\d+(?:\.\d+)?)/.exec(version.stdout);
  return match?.[1] === undefined ? { available: true } : { available: true, version: match[1] };
}

/** The usual causes of "bwrap is installed but cannot sandbox", from its error message. */
function kernelFix(message: string): string {
  if (/setting up uid map|Permission denied|Operation not permitted|No permissions/i.test(message)) {
    return (
      'allow unprivileged user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 ' +
      '(Debian) or kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 24.04+), or run in a container ' +
      'started with --security-opt seccomp=unconfined; or use --profile none to run without isolation'
    );
  }
  return `bwrap said: ${message}; or use --profile none to run without isolation`;
}
