// Kernel keyrings and the system calls the seccomp filter denies (issue 20 item 5).
//
// Issue: bwrap ran the server with no seccomp filter: it read the warden's session keyring (keyctl),
// added keys of its own, and had perf_event_open, io_uring, userfaultfd, bpf and ptrace, which a
// server never needs and which are a large kernel attack surface. /proc/keys listed every keyring of
// the warden's user, other sessions' included.
// Fix: the warden renders src/sandboxes/seccomp/syscall-rules.ts as a BPF program (bpf-program.ts) that
// bwrap loads from a pipe (`--seccomp FD`): the denied calls answer EPERM, other ABIs are killed; the
// same rules become the docker/gvisor seccomp profile (docker-profile.ts). With keyctl, add_key and
// request_key denied the inherited session keyring is unreachable, and bwrap masks /proc/keys and
// /proc/key-users with /dev/null (Docker masks /proc/keys too). The C probe makes the raw calls.
import path from 'node:path';
import type { AttackCase, AttackContext, BackendName, Check } from '../types.ts';

type Result = Record<string, unknown>;

const NO_SYSCALLS =
  'a V8 isolate makes no system call of its own: no API of the isolate reaches keyctl, bpf, perf, io_uring or ptrace';
const NO_COMPILER =
  'no C compiler with static libc here (gcc -static) to build tests/attacks/probe/sysprobe.c';
const needsSysprobe = (ctx: AttackContext): string | undefined => (ctx.sysprobe ? undefined : NO_COMPILER);

/** Where the warden's own filter decides, a denied call must answer exactly EPERM (the filter's errno). */
const FILTERED: readonly BackendName[] = ['bwrap', 'docker'];

/** The C probe ran, and each of `keys` failed (with EPERM where our filter answers). */
const denied =
  (keys: readonly string[]): Check<Result> =>
  (r, ctx) => {
    if (r.ok === false) return `the probe did not run: ${JSON.stringify(r).slice(0, 300)}`;
    if (r.status !== 0) return `sysprobe exited ${String(r.status)}: ${String(r.stderr).slice(0, 200)}`;
    const out = JSON.parse(String(r.stdout)) as Record<string, string | number>;
    if (out.euid === 0 || out.uid === 0) return `running as root inside: ${JSON.stringify(out)}`;
    const wrong = keys.filter((k) =>
      FILTERED.includes(ctx.backend) ? out[k] !== 'EPERM' : out[k] === 'ok' || out[k] === undefined,
    );
    return wrong.length === 0
      ? undefined
      : `not denied${FILTERED.includes(ctx.backend) ? ' with EPERM' : ''}: ${wrong.map((k) => `${k}=${String(out[k])}`).join(', ')}`;
  };

function sysprobeCase(id: string, title: string, keys: readonly string[], what: string): AttackCase {
  return {
    id: `keyrings.${id}`,
    family: 'keyrings',
    title,
    layer: 'os',
    action: {
      kind: 'probe',
      probe: (ctx) =>
        ctx.sysprobe
          ? { op: 'exec', file: ctx.sysprobe, args: [path.join(ctx.root, 'mnt')] }
          : { op: 'noop' },
    },
    expect: { kind: 'contained', what, check: denied(keys) },
    requires: needsSysprobe,
    notApplicable: { isolate: NO_SYSCALLS },
  };
}

export const KEYRING_CASES: AttackCase[] = [
  {
    id: 'keyrings.seccomp-active',
    family: 'keyrings',
    title: 'the server runs under a seccomp filter (/proc/self/status Seccomp: 2)',
    layer: 'os',
    action: { kind: 'probe', probe: () => ({ op: 'status' }) },
    expect: {
      kind: 'contained',
      what: 'Seccomp: 2 (filter mode)',
      check: (r) => (r.ok !== false && r.Seccomp === '2' ? undefined : `Seccomp is ${String(r.Seccomp)}`),
    },
    // gVisor reports the OCI profile it enforces in the Sentry (runsc --oci-seccomp, which doctor requires).
    notApplicable: { isolate: NO_SYSCALLS },
  },
  sysprobeCase(
    'session-keyring',
    'reach the warden’s session keyring (keyctl KEYCTL_GET_KEYRING_ID of the session keyring)',
    ['keyctl'],
    'EPERM: the inherited keyring is unreachable',
  ),
  sysprobeCase(
    'add-key',
    'add a key (add_key) and look one up (request_key)',
    ['addKey', 'requestKey'],
    'EPERM',
  ),
  sysprobeCase(
    'kernel-surface',
    'perf_event_open, bpf, io_uring_setup, userfaultfd and ptrace(PTRACE_TRACEME)',
    ['perfEventOpen', 'bpf', 'ioUringSetup', 'userfaultfd', 'ptrace'],
    'EPERM for each',
  ),
  sysprobeCase(
    'setuid-modes',
    'raw fchmodat(04755) and openat(O_CREAT, 04777) on scratch files in the root',
    ['chmodSuid', 'openCreatSuid'],
    'EPERM: the mode guard refuses setuid/setgid/sticky bits',
  ),
  {
    id: 'keyrings.proc-keys',
    family: 'keyrings',
    title: 'list the host’s keyrings in /proc/keys and /proc/key-users',
    layer: 'os',
    action: { kind: 'probe', probe: () => ({ op: 'read', path: '/proc/keys' }) },
    expect: {
      kind: 'contained',
      what: 'empty (masked) or absent',
      check: (r) =>
        r.ok === false || String(r.text).trim() === ''
          ? undefined
          : `/proc/keys lists: ${String(r.text).split('\n').slice(0, 3).join(' | ')}`,
    },
    notApplicable: { isolate: NO_SYSCALLS },
  },
  {
    id: 'keyrings.proc-key-users',
    family: 'keyrings',
    title: 'read /proc/key-users (key quotas of every user)',
    layer: 'os',
    action: { kind: 'probe', probe: () => ({ op: 'read', path: '/proc/key-users' }) },
    expect: {
      kind: 'contained',
      what: 'empty (masked) or absent',
      check: (r) =>
        r.ok === false || String(r.text).trim() === ''
          ? undefined
          : `/proc/key-users lists: ${String(r.text).split('\n').slice(0, 3).join(' | ')}`,
    },
    notApplicable: { isolate: NO_SYSCALLS },
  },
];
