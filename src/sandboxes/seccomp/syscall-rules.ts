// The one list of system-call rules every Linux sandbox applies (issue 20, items 3 and 5). bwrap gets
// it as a BPF program (bpf-program.ts), Docker and gVisor as a seccomp profile (docker-profile.ts):
// two renderers of the same data, so the backends cannot drift apart. Pinned in tests/pins.

/** What a denied call returns. EPERM, as a kernel without the feature or a missing capability would. */
export const DENY_ERRNO = 1; // EPERM
/** What a call we cannot inspect returns: ENOSYS, so libraries fall back to the inspectable call. */
export const UNINSPECTABLE_ERRNO = 38; // ENOSYS

/**
 * Calls a sandboxed server never needs and that reach kernel state shared with the host: keyrings
 * (the warden's session keyring is inherited), tracing, BPF, io_uring (bypasses seccomp checks of the
 * calls it queues), userfaultfd (exploit primitive), the mount family, namespaces, modules, clocks,
 * swap, reboot, handles that skip path lookup. Each answers EPERM.
 */
export const DENIED_SYSCALLS: readonly string[] = [
  'keyctl',
  'add_key',
  'request_key',
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'perf_event_open',
  'bpf',
  'userfaultfd',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'mount',
  'umount2',
  'pivot_root',
  'chroot',
  'move_mount',
  'open_tree',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'mount_setattr',
  'unshare',
  'setns',
  'name_to_handle_at',
  'open_by_handle_at',
  'fanotify_init',
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'reboot',
  'swapon',
  'swapoff',
  'acct',
  'quotactl',
  'quotactl_fd',
  'lookup_dcookie',
  'syslog',
  'vhangup',
  'settimeofday',
  'clock_settime',
  'clock_adjtime',
];

/** Mode bits no file created or changed in a sandbox may carry: setuid, setgid, sticky. */
export const FORBIDDEN_MODE_BITS = 0o7000;
/** open(2) flags that make the mode argument meaningful: O_CREAT and __O_TMPFILE (same on x86_64/arm64). */
export const CREATE_FLAGS = 0o100 | 0o20000000;

/**
 * Calls that set a file mode. Each is refused (EPERM) when its mode argument has any
 * FORBIDDEN_MODE_BITS; `flagsArg` names the flags argument that must contain a CREATE_FLAGS bit for
 * the mode to matter (open/openat ignore the mode otherwise, and it may then be garbage).
 */
export interface ModeGuard {
  name: string;
  /** Index of the mode argument (0-based). */
  modeArg: number;
  /** Index of the open flags argument, for calls whose mode counts only with O_CREAT/O_TMPFILE. */
  flagsArg?: number;
}

export const MODE_GUARDED_SYSCALLS: readonly ModeGuard[] = [
  { name: 'chmod', modeArg: 1 },
  { name: 'fchmod', modeArg: 1 },
  { name: 'fchmodat', modeArg: 2 },
  { name: 'fchmodat2', modeArg: 2 },
  { name: 'creat', modeArg: 1 },
  { name: 'open', modeArg: 2, flagsArg: 1 },
  { name: 'openat', modeArg: 3, flagsArg: 2 },
  { name: 'mkdir', modeArg: 1 },
  { name: 'mkdirat', modeArg: 2 },
  { name: 'mknod', modeArg: 1 },
  { name: 'mknodat', modeArg: 2 },
];

/** Calls whose mode lives behind a pointer seccomp cannot read: ENOSYS, so callers use openat. */
export const UNINSPECTABLE_SYSCALLS: readonly string[] = ['openat2'];
