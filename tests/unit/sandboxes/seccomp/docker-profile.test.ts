import { describe, expect, it } from 'vitest';
import {
  DOCKER_DEFAULT_ALLOWED,
  DOCKER_DEFAULT_CONDITIONAL,
  type SeccompRule,
} from '../../../../src/sandboxes/seccomp/docker-default-syscalls.ts';
import {
  type DockerSeccompProfile,
  dockerSeccompOption,
  dockerSeccompProfile,
} from '../../../../src/sandboxes/seccomp/docker-profile.ts';
import {
  DENIED_SYSCALLS,
  MODE_GUARDED_SYSCALLS,
  UNINSPECTABLE_SYSCALLS,
} from '../../../../src/sandboxes/seccomp/syscall-rules.ts';

const O_CREAT = 0o100;
const O_TMPFILE = 0o20000000 | 0o200000;
const CLONE_NEWUSER = 0x10000000;

/**
 * What libseccomp (runc) makes of the profile for one call: the first matching non-default action,
 * ALLOW when any allow rule matches (all its args hold), else the default. 'allow' or the errno.
 */
function decide(profile: DockerSeccompProfile, name: string, args: number[]): 'allow' | number {
  const holds = (rule: SeccompRule): boolean =>
    (rule.args ?? []).every((arg) => {
      const value = args[arg.index] ?? 0;
      switch (arg.op) {
        case 'SCMP_CMP_EQ':
          return value === arg.value;
        case 'SCMP_CMP_LT':
          return value < arg.value;
        case 'SCMP_CMP_GT':
          return value > arg.value;
        case 'SCMP_CMP_MASKED_EQ':
          return (value & arg.value) === arg.valueTwo;
      }
    });
  const rules = profile.syscalls.filter((rule) => rule.names.includes(name) && holds(rule));
  const actions = new Set(rules.map((rule) => rule.action));
  // One call never has both an allow rule and an errno rule in this profile (checked below).
  if (actions.has('SCMP_ACT_ALLOW')) return 'allow';
  const errno = rules.find((rule) => rule.action === 'SCMP_ACT_ERRNO');
  return errno?.errnoRet ?? profile.defaultErrnoRet;
}

describe.each(['runc', 'runsc'] as const)('dockerSeccompProfile(%s)', (runtime) => {
  const profile = dockerSeccompProfile(runtime);
  const EPERM = 1;
  const ENOSYS = 38;

  it('is an allowlist like Docker’s default: everything else is EPERM, on the architectures Docker maps', () => {
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(profile.defaultErrnoRet).toBe(EPERM);
    expect(profile.archMap).toEqual([
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ]);
    expect(decide(profile, 'not_a_call', [])).toBe(EPERM);
  });

  it('never allows a call Docker’s default does not (clone3 under runsc aside: see the next test)', () => {
    const docker = new Set([
      ...DOCKER_DEFAULT_ALLOWED,
      ...DOCKER_DEFAULT_CONDITIONAL.flatMap((r) => r.names),
    ]);
    const allowed = profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names);
    expect(allowed.filter((name) => !docker.has(name) && name !== 'clone3')).toEqual([]);
  });

  it('keeps every call Docker’s default allows unconditionally, except the denied and mode-guarded ones', () => {
    const narrowed = new Set([
      ...DENIED_SYSCALLS,
      ...UNINSPECTABLE_SYSCALLS,
      ...MODE_GUARDED_SYSCALLS.map((guard) => guard.name),
    ]);
    for (const name of DOCKER_DEFAULT_ALLOWED) {
      if (!narrowed.has(name)) expect(decide(profile, name, [0, 0, 0, 0]), name).toBe('allow');
    }
  });

  it('denies keyrings, tracing, BPF, io_uring, userfaultfd, mounts and namespaces with EPERM', () => {
    for (const name of DENIED_SYSCALLS) expect(decide(profile, name, [0, 0, 0, 0]), name).toBe(EPERM);
    for (const name of ['keyctl', 'add_key', 'request_key', 'ptrace', 'io_uring_setup', 'bpf', 'mount']) {
      expect(DENIED_SYSCALLS).toContain(name);
    }
  });

  it('no call has an allow rule and an errno rule at once (their order would then matter)', () => {
    const allowed = new Set(
      profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names),
    );
    const refused = profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ERRNO').flatMap((r) => r.names);
    expect(refused.filter((name) => allowed.has(name))).toEqual([]);
  });

  it('refuses setuid, setgid and sticky modes in every mode-setting call; plain modes pass', () => {
    for (const { name, modeArg, flagsArg } of MODE_GUARDED_SYSCALLS) {
      for (const bit of [0o4000, 0o2000, 0o1000]) {
        const args = [0, 0, 0, 0];
        args[modeArg] = 0o755 | bit;
        if (flagsArg !== undefined) args[flagsArg] = O_CREAT | 1;
        expect(decide(profile, name, args), `${name} mode ${(0o755 | bit).toString(8)}`).toBe(EPERM);
        if (flagsArg !== undefined) {
          args[flagsArg] = O_TMPFILE | 1;
          expect(decide(profile, name, args), `${name} O_TMPFILE`).toBe(EPERM);
        }
      }
      const plain = [0, 0, 0, 0];
      plain[modeArg] = 0o755;
      if (flagsArg !== undefined) plain[flagsArg] = O_CREAT | 1;
      expect(decide(profile, name, plain), `${name} mode 755`).toBe('allow');
    }
  });

  it('open/openat without O_CREAT or O_TMPFILE pass whatever their (ignored) mode argument holds', () => {
    expect(decide(profile, 'openat', [-100, 0, 0, 0o4755])).toBe('allow');
    expect(decide(profile, 'openat', [-100, 0, 0o2 | 0o1000, 0o7777])).toBe('allow'); // O_RDWR|O_TRUNC
    expect(decide(profile, 'open', [0, 0o2000, 0o6777])).toBe('allow'); // O_APPEND
  });

  it('openat2 (its mode is behind a pointer) and clone3 (flags behind a pointer): per runtime', () => {
    // runc honours errnoRet: ENOSYS makes callers fall back to openat and clone. gVisor answers every
    // ERRNO rule with EPERM (openat2 then fails outright), which glibc does not fall back from for
    // clone3 (threads): clone3 reaches the Sentry there.
    expect(decide(profile, 'openat2', [])).toBe(ENOSYS);
    expect(decide(profile, 'clone3', [])).toBe(runtime === 'runc' ? ENOSYS : 'allow');
  });

  it('clone: Docker’s namespace-flags condition; sockets: no AF_ALG or AF_VSOCK', () => {
    expect(decide(profile, 'clone', [0x11 /* SIGCHLD */])).toBe('allow');
    expect(decide(profile, 'clone', [0x003d0f00 /* pthread_create's flags */])).toBe('allow');
    expect(decide(profile, 'clone', [CLONE_NEWUSER | 0x11])).toBe(EPERM);
    expect(decide(profile, 'socket', [1 /* AF_UNIX */])).toBe('allow');
    expect(decide(profile, 'socket', [38 /* AF_ALG */])).toBe(EPERM);
    expect(decide(profile, 'socket', [40 /* AF_VSOCK */])).toBe(EPERM);
  });

  it('is passed inline as a SecurityOpt the engine parses', () => {
    const option = dockerSeccompOption(runtime);
    expect(option.startsWith('seccomp={')).toBe(true);
    expect(JSON.parse(option.slice('seccomp='.length))).toEqual(profile);
  });
});

describe('Docker’s default profile data', () => {
  it('holds unique names and none that Docker grants only with a capability', () => {
    expect(new Set(DOCKER_DEFAULT_ALLOWED).size).toBe(DOCKER_DEFAULT_ALLOWED.length);
    for (const name of [
      'mount',
      'umount2',
      'unshare',
      'setns',
      'bpf',
      'ptrace',
      'reboot',
      'init_module',
      'clone',
      'clone3',
    ]) {
      expect(DOCKER_DEFAULT_ALLOWED, name).not.toContain(name);
    }
  });
});
