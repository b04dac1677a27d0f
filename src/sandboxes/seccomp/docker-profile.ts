// The seccomp profile of the docker and gvisor containers: Docker's default (docker-default-syscalls.ts)
// narrowed by the warden's rules (syscall-rules.ts). It replaces the engine's default profile, so it is
// an allowlist like Docker's: default action EPERM, every call Docker allows except the denied ones,
// and the mode-setting calls only with a mode that has no setuid/setgid/sticky bit. The bwrap backend
// renders the same rules as BPF (bpf-program.ts).
import {
  DOCKER_ARCH_MAP,
  DOCKER_DEFAULT_ALLOWED,
  DOCKER_DEFAULT_CONDITIONAL,
  type SeccompArg,
  type SeccompRule,
} from './docker-default-syscalls.ts';
import {
  CREATE_FLAGS,
  DENIED_SYSCALLS,
  DENY_ERRNO,
  FORBIDDEN_MODE_BITS,
  MODE_GUARDED_SYSCALLS,
  type ModeGuard,
  UNINSPECTABLE_ERRNO,
  UNINSPECTABLE_SYSCALLS,
} from './syscall-rules.ts';

/** The OCI runtime that enforces the profile: runc in the host kernel, runsc (gVisor) in its Sentry. */
export type SeccompRuntime = 'runc' | 'runsc';

/** A seccomp profile in the JSON format of `docker run --security-opt seccomp=FILE`. */
export interface DockerSeccompProfile {
  defaultAction: 'SCMP_ACT_ERRNO';
  defaultErrnoRet: number;
  archMap: typeof DOCKER_ARCH_MAP;
  syscalls: SeccompRule[];
}

const ALLOW = 'SCMP_ACT_ALLOW';
const ERRNO = 'SCMP_ACT_ERRNO';

/** `(arg & mask) === 0`. */
const clear = (index: number, mask: number): SeccompArg => ({
  index,
  value: mask,
  valueTwo: 0,
  op: 'SCMP_CMP_MASKED_EQ',
});

/**
 * The rules that let a mode-setting call through only when it cannot set a forbidden bit: its mode has
 * none, or (open/openat) it creates nothing, so its mode is ignored. Calls with the same argument
 * layout share a rule. Separate rules are alternatives, which is how "no O_CREAT OR a clean mode" is said.
 */
function modeGuardRules(guards: readonly ModeGuard[]): SeccompRule[] {
  const rules = new Map<string, SeccompRule>();
  const add = (name: string, args: SeccompArg[]): void => {
    const key = JSON.stringify(args);
    const rule = rules.get(key);
    if (rule) rule.names.push(name);
    else rules.set(key, { names: [name], action: ALLOW, args });
  };
  for (const guard of guards) {
    if (guard.flagsArg !== undefined) add(guard.name, [clear(guard.flagsArg, CREATE_FLAGS)]);
    add(guard.name, [clear(guard.modeArg, FORBIDDEN_MODE_BITS)]);
  }
  return [...rules.values()];
}

/**
 * Pure: the profile for containers under `runtime`. Never wider than Docker's default: a call is
 * allowed only where Docker's default allows it. Differences by runtime: gVisor answers every ERRNO
 * action with EPERM (runsc ignores errnoRet), and glibc falls back from clone3 to clone only on ENOSYS,
 * so under runsc clone3 is allowed and the Sentry answers it (ENOSYS, or its own namespaces, which never
 * reach the host); under runc it is ENOSYS, as in Docker's default.
 */
export function dockerSeccompProfile(runtime: SeccompRuntime): DockerSeccompProfile {
  const docker = new Set(DOCKER_DEFAULT_ALLOWED);
  const denied = new Set(DENIED_SYSCALLS);
  const guards = MODE_GUARDED_SYSCALLS.filter((guard) => docker.has(guard.name));
  const guarded = new Set(MODE_GUARDED_SYSCALLS.map((guard) => guard.name));
  const uninspectable = new Set(UNINSPECTABLE_SYSCALLS);
  const allowed = DOCKER_DEFAULT_ALLOWED.filter(
    (name) => !denied.has(name) && !guarded.has(name) && !uninspectable.has(name),
  );
  const conditional = DOCKER_DEFAULT_CONDITIONAL.map((rule) => ({
    ...rule,
    names: rule.names.filter((name) => !denied.has(name)),
  })).filter((rule) => rule.names.length > 0);
  return {
    defaultAction: ERRNO,
    defaultErrnoRet: DENY_ERRNO,
    archMap: DOCKER_ARCH_MAP,
    syscalls: [
      { names: allowed, action: ALLOW },
      ...conditional,
      runtime === 'runsc'
        ? { names: ['clone3'], action: ALLOW }
        : { names: ['clone3'], action: ERRNO, errnoRet: UNINSPECTABLE_ERRNO },
      ...modeGuardRules(guards),
      { names: [...DENIED_SYSCALLS], action: ERRNO, errnoRet: DENY_ERRNO },
      { names: [...UNINSPECTABLE_SYSCALLS], action: ERRNO, errnoRet: UNINSPECTABLE_ERRNO },
    ],
  };
}

/** Pure: the `HostConfig.SecurityOpt` entry that installs the profile (the engine takes the JSON inline). */
export function dockerSeccompOption(runtime: SeccompRuntime): string {
  return `seccomp=${JSON.stringify(dockerSeccompProfile(runtime))}`;
}
