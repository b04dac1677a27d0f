// Security defaults pinned as literals: widening one must be a visible, deliberate diff.
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/load-profile.ts';
import {
  DEFAULT_CLIENT_METHODS,
  DEFAULT_SERVER_NOTIFICATIONS,
  DEFAULT_SERVER_REQUESTS,
  DEFAULT_WRITE_TOOLS,
  PolicySchema,
} from '../../src/config/policy-schema.ts';
import { DEV_SHM_MB, planBwrap } from '../../src/sandboxes/bwrap/bwrap-plan.ts';
import { BWRAP_DEV_NODES, PRIVATE_DEVICE_OWNER } from '../../src/sandboxes/bwrap/private-devices.ts';
import { BASELINE_ENV, PYTHON_BASELINE_ENV } from '../../src/sandboxes/launch-spec/baseline-env.ts';
import { AUDIT_ARCH, SECCOMP_RET, renderSeccompProgram } from '../../src/sandboxes/seccomp/bpf-program.ts';
import {
  CREATE_FLAGS,
  DENIED_SYSCALLS,
  DENY_ERRNO,
  FORBIDDEN_MODE_BITS,
  MODE_GUARDED_SYSCALLS,
  UNINSPECTABLE_SYSCALLS,
} from '../../src/sandboxes/seccomp/syscall-rules.ts';

describe('pinned security defaults', () => {
  it('client method allowlist', () => {
    expect([...DEFAULT_CLIENT_METHODS]).toEqual([
      'initialize',
      'ping',
      'tools/list',
      'tools/call',
      'resources/list',
      'resources/templates/list',
      'resources/read',
      'resources/subscribe',
      'resources/unsubscribe',
      'prompts/list',
      'prompts/get',
      'completion/complete',
      'logging/setLevel',
      'notifications/initialized',
      'notifications/cancelled',
      'notifications/progress',
      'notifications/roots/list_changed',
    ]);
  });

  it('server requests: only ping (no sampling, elicitation or roots)', () => {
    expect([...DEFAULT_SERVER_REQUESTS]).toEqual(['ping']);
  });

  it('server notifications', () => {
    expect([...DEFAULT_SERVER_NOTIFICATIONS]).toEqual([
      'notifications/message',
      'notifications/progress',
      'notifications/cancelled',
      'notifications/resources/updated',
      'notifications/resources/list_changed',
      'notifications/tools/list_changed',
      'notifications/prompts/list_changed',
    ]);
  });

  it('write-tool globs', () => {
    expect([...DEFAULT_WRITE_TOOLS]).toEqual([
      'write_*',
      'edit_*',
      'create_*',
      'move_*',
      'delete_*',
      'remove_*',
      'rename_*',
      'append_*',
      'upload_*',
      'patch_*',
      'mkdir*',
    ]);
  });

  it('size and time caps', () => {
    expect(PolicySchema.parse({}).limits).toEqual({
      clientMessageBytes: 4 * 1024 * 1024,
      serverMessageBytes: 32 * 1024 * 1024,
      argumentBytes: 1024 * 1024,
      maxDepth: 64,
      requestTimeoutMs: 600_000,
    });
  });

  it('stray output on the server stdout: dropped up to 1,000 lines or 1 MiB per session, then a breach', () => {
    expect(PolicySchema.parse({}).strayOutput).toEqual({ lines: 1000, bytes: 1024 * 1024, strict: false });
  });

  it('built-in profiles: no network, kill on server breach, deny on client breach', () => {
    for (const name of ['bwrap', 'none']) {
      const profile = loadProfile(name);
      expect({
        network: profile.network,
        server: profile.onServerBreach,
        client: profile.onClientBreach,
      }).toEqual({
        network: false,
        server: 'kill',
        client: 'deny',
      });
    }
  });
});

// The system-call rules every Linux sandbox applies and bwrap's hardening around them (issue 20).
describe('pinned sandbox hardening', () => {
  it('denied system calls (EPERM) and the uninspectable ones (ENOSYS)', () => {
    expect([...DENIED_SYSCALLS].sort()).toEqual(
      [
        'acct',
        'add_key',
        'bpf',
        'chroot',
        'clock_adjtime',
        'clock_settime',
        'delete_module',
        'fanotify_init',
        'finit_module',
        'fsconfig',
        'fsmount',
        'fsopen',
        'fspick',
        'init_module',
        'io_uring_enter',
        'io_uring_register',
        'io_uring_setup',
        'kexec_file_load',
        'kexec_load',
        'keyctl',
        'lookup_dcookie',
        'mount',
        'mount_setattr',
        'move_mount',
        'name_to_handle_at',
        'open_by_handle_at',
        'open_tree',
        'perf_event_open',
        'pivot_root',
        'process_vm_readv',
        'process_vm_writev',
        'ptrace',
        'quotactl',
        'quotactl_fd',
        'reboot',
        'request_key',
        'setns',
        'settimeofday',
        'swapoff',
        'swapon',
        'syslog',
        'umount2',
        'unshare',
        'userfaultfd',
        'vhangup',
      ].sort(),
    );
    expect(DENY_ERRNO).toBe(1);
    expect([...UNINSPECTABLE_SYSCALLS]).toEqual(['openat2']);
  });

  it('no setuid, setgid or sticky mode through any mode-setting call', () => {
    expect(FORBIDDEN_MODE_BITS).toBe(0o7000);
    expect(CREATE_FLAGS).toBe(0o100 | 0o20000000);
    expect(MODE_GUARDED_SYSCALLS.map((g) => g.name)).toEqual([
      'chmod',
      'fchmod',
      'fchmodat',
      'fchmodat2',
      'creat',
      'open',
      'openat',
      'mkdir',
      'mkdirat',
      'mknod',
      'mknodat',
    ]);
  });

  it('the BPF program kills calls through any other ABI and allows only what the rules do not name', () => {
    for (const arch of ['x86_64', 'aarch64'] as const) {
      const program = renderSeccompProgram(arch);
      // First instructions: load arch, compare with this one, else KILL_PROCESS.
      expect(program.readUInt32LE(8 + 4)).toBe(AUDIT_ARCH[arch]);
      expect(program.readUInt32LE(16 + 4)).toBe(SECCOMP_RET.KILL_PROCESS);
    }
  });

  it('bwrap: seccomp and the environment on descriptors, /dev read-only, /dev/shm capped, key lists masked', () => {
    expect(DEV_SHM_MB).toBe(64);
    const plan = planBwrap(
      {
        executable: '/usr/bin/node',
        args: [],
        env: { TOKEN: 'x' },
        roots: [],
        readOnlyPaths: [],
        runtimePaths: [],
        cwd: '/tmp',
        limits: {},
        network: false,
      },
      { bwrap: 'bwrap', arch: 'x86_64' },
    );
    const argv = plan.argv.join(' ');
    for (const expected of [
      '--clearenv --args 3 --seccomp 4',
      '--ro-bind /dev/null /proc/keys',
      '--ro-bind /dev/null /proc/key-users',
      `--size ${64 * 1024 * 1024} --tmpfs /dev/shm`,
      '--remount-ro /dev --remount-ro /',
      '--disable-userns',
      '--cap-drop ALL',
    ])
      expect(argv).toContain(expected);
    expect(argv).not.toContain('--setenv');
  });

  it('bwrap run by root: private copies of every node --dev binds, owned by a uid the sandbox is not mapped to', () => {
    expect(BWRAP_DEV_NODES).toEqual(['null', 'zero', 'full', 'random', 'urandom', 'tty']);
    expect(PRIVATE_DEVICE_OWNER).toBe(65534);
  });

  it('the environment every server gets besides --env (Python: no user site-packages in its persistent HOME)', () => {
    expect(BASELINE_ENV).toEqual({ PATH: '/usr/local/bin:/usr/bin:/bin' });
    expect(PYTHON_BASELINE_ENV).toEqual({ PYTHONNOUSERSITE: '1' });
  });
});
