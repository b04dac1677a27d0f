import { describe, expect, it } from 'vitest';
import { type BwrapHost, planBwrap } from '../../../../src/sandboxes/bwrap/bwrap-plan.ts';
import { renderSeccompProgram } from '../../../../src/sandboxes/seccomp/bpf-program.ts';
import type { LaunchSpec } from '../../../../src/sandboxes/types.ts';

const spec: LaunchSpec = {
  executable: '/usr/bin/node',
  args: ['/srv/pkg/dist/index.js', '/data'],
  env: { PATH: '/usr/local/bin:/usr/bin:/bin', TOKEN: 'x' },
  roots: [
    { path: '/data', realPath: '/mnt/disk/data', readOnly: false },
    { path: '/docs', realPath: '/docs', readOnly: true },
  ],
  readOnlyPaths: ['/usr/bin/node', '/lib64/ld-linux-x86-64.so.2', '/srv/pkg', '/srv/node_modules', '/docs'],
  runtimePaths: ['/usr/bin/node', '/lib64/ld-linux-x86-64.so.2'],
  cwd: '/data',
  limits: { memoryMb: 256, cpus: 1, pids: 64, tmpfsMb: 16 },
  network: false,
};

const HOST: BwrapHost = { bwrap: '/usr/bin/bwrap', arch: 'x86_64' };
const host = (bwrap: string, setpriv?: string): BwrapHost => ({ ...HOST, bwrap, setpriv });

describe('planBwrap', () => {
  it('builds the exact argv (golden)', () => {
    const plan = planBwrap(spec, HOST);
    expect(plan.argv).toEqual([
      '/usr/bin/bwrap',
      '--unshare-user',
      '--unshare-pid',
      '--unshare-net',
      '--unshare-ipc',
      '--unshare-uts',
      '--unshare-cgroup-try',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
      // The values travel on descriptors (see below), never in argv.
      '--args',
      '3',
      '--seccomp',
      '4',
      '--uid',
      '65534',
      '--gid',
      '65534',
      '--cap-drop',
      'ALL',
      '--hostname',
      'mcp-warden',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--size',
      '16777216',
      '--tmpfs',
      '/tmp',
      '--bind',
      '/mnt/disk/data',
      '/data',
      // The root wins over the read-only path at the same destination.
      '--ro-bind',
      '/docs',
      '/docs',
      // Depth 2: /dev/shm capped (at the /tmp cap, 16 MiB, smaller than 64), /proc's key lists masked.
      '--size',
      '16777216',
      '--tmpfs',
      '/dev/shm',
      '--ro-bind',
      '/dev/null',
      '/proc/keys',
      '--ro-bind',
      '/dev/null',
      '/proc/key-users',
      '--ro-bind',
      '/lib64/ld-linux-x86-64.so.2',
      '/lib64/ld-linux-x86-64.so.2',
      '--ro-bind',
      '/srv/pkg',
      '/srv/pkg',
      '--ro-bind',
      '/srv/node_modules',
      '/srv/node_modules',
      // Depth 3: the root's real path (roots are collected first), then the binary.
      '--bind',
      '/mnt/disk/data',
      '/mnt/disk/data',
      '--ro-bind',
      '/usr/bin/node',
      '/usr/bin/node',
      '--remount-ro',
      '/dev',
      '--remount-ro',
      '/',
      '--chdir',
      '/data',
      '--',
      '/usr/bin/node',
      '/srv/pkg/dist/index.js',
      '/data',
    ]);
    expect(plan.env).toEqual({});
    expect(plan.backend).toBe('bwrap');
    expect(plan.unenforced).toEqual([
      'memory 256 MB (bwrap has no memory limit)',
      'cpus 1 (bwrap has no cpu limit)',
      'pids 64 (bwrap has no pids limit)',
    ]);
    expect(plan.notes).toContain('network: none (new net namespace)');
    // fd 3: the --setenv arguments, NUL-terminated; fd 4: the seccomp program.
    expect(plan.inputs?.map((b) => Buffer.from(b))).toEqual([
      Buffer.from('--setenv\0PATH\0/usr/local/bin:/usr/bin:/bin\0--setenv\0TOKEN\0x\0'),
      renderSeccompProgram('x86_64'),
    ]);
  });

  it('never puts an environment value in argv; explain sees the names only', () => {
    const secret = 'tok-3f9a1c0d';
    const plan = planBwrap({ ...spec, env: { API_TOKEN: secret, OTHER: 'v' } }, HOST);
    expect(plan.argv.join('\0')).not.toContain(secret);
    expect(JSON.stringify(plan.details)).not.toContain(secret);
    expect(plan.details?.descriptors).toEqual([
      {
        fd: 3,
        option: '--args',
        content: ['--setenv', 'API_TOKEN', '<redacted>', '--setenv', 'OTHER', '<redacted>'],
      },
      {
        fd: 4,
        option: '--seccomp',
        content: expect.stringMatching(/^x86_64 classic BPF, \d+ instructions, sha256 [0-9a-f]{64}$/),
      },
    ]);
    expect(Buffer.from(plan.inputs?.[0] ?? []).toString()).toContain(`API_TOKEN\0${secret}\0`);
  });

  it('refuses a NUL in a variable (it would end the argument early in the --args stream)', () => {
    expect(() => planBwrap({ ...spec, env: { A: 'x\0--bind\0/\0/' } }, HOST)).toThrow(/NUL/);
  });

  it('without variables passes only the seccomp program, on fd 3', () => {
    const plan = planBwrap({ ...spec, env: {} }, HOST);
    expect(plan.argv).not.toContain('--args');
    expect(plan.argv.slice(plan.argv.indexOf('--seccomp'), plan.argv.indexOf('--seccomp') + 2)).toEqual([
      '--seccomp',
      '3',
    ]);
    expect(plan.inputs).toEqual([renderSeccompProgram('x86_64')]);
  });

  it('builds the seccomp program for the given architecture', () => {
    const plan = planBwrap(spec, { ...HOST, arch: 'aarch64' });
    expect(plan.inputs?.[1]).toEqual(renderSeccompProgram('aarch64'));
  });

  it('caps /dev/shm at 64 MiB (or the /tmp cap when smaller) and leaves /dev read-only', () => {
    const size = (limits: LaunchSpec['limits']): string | undefined => {
      const argv = planBwrap({ ...spec, limits }, HOST).argv;
      const i = argv.findIndex((a, j) => a === '--tmpfs' && argv[j + 1] === '/dev/shm');
      return argv[i - 2] === '--size' ? argv[i - 1] : undefined;
    };
    expect(size({})).toBe(String(64 * 1024 * 1024));
    expect(size({ tmpfsMb: 256 })).toBe(String(64 * 1024 * 1024));
    expect(size({ tmpfsMb: 8 })).toBe(String(8 * 1024 * 1024));
    const argv = planBwrap(spec, HOST).argv;
    // After every mount under /dev, so /dev/shm stays writable and /dev does not.
    expect(argv.indexOf('--remount-ro')).toBeGreaterThan(argv.lastIndexOf('/dev/shm'));
    expect(argv[argv.indexOf('--remount-ro') + 1]).toBe('/dev');
  });

  it('mounts parents before children, whatever the input order', () => {
    const plan = planBwrap(
      {
        ...spec,
        roots: [{ path: '/tmp/w/root/sub', realPath: '/tmp/w/root/sub', readOnly: false }],
        readOnlyPaths: ['/tmp/w/root/sub/deep/file', '/tmp/w/root'],
        limits: {},
      },
      host('bwrap'),
    );
    const dests = plan.argv.flatMap((arg, i) =>
      /^--(ro-)?bind$|^--tmpfs$/.test(arg) ? [plan.argv[i + 2] ?? arg] : [],
    );
    const tmpfsIndex = plan.argv.indexOf('--tmpfs');
    expect(plan.argv[tmpfsIndex + 1]).toBe('/tmp');
    expect(plan.argv.slice(tmpfsIndex - 1, tmpfsIndex)).not.toContain('--size');
    expect(dests.filter((d) => d.startsWith('/tmp/'))).toEqual([
      '/tmp/w/root',
      '/tmp/w/root/sub',
      '/tmp/w/root/sub/deep/file',
    ]);
  });

  it('keeps the network and mounts DNS/TLS files (optional) when allowed', () => {
    const plan = planBwrap({ ...spec, network: true, limits: {} }, host('bwrap'));
    expect(plan.argv).not.toContain('--unshare-net');
    expect(plan.argv.join(' ')).toContain('--ro-bind-try /etc/resolv.conf /etc/resolv.conf');
    expect(plan.unenforced).toEqual([]);
  });

  it('starts bwrap through setpriv --pdeathsig KILL when setpriv is available', () => {
    const plan = planBwrap({ ...spec, limits: {} }, host('/usr/bin/bwrap', '/usr/bin/setpriv'));
    expect(plan.argv.slice(0, 5)).toEqual([
      '/usr/bin/setpriv',
      '--pdeathsig',
      'KILL',
      '--',
      '/usr/bin/bwrap',
    ]);
    expect(plan.argv.slice(4)).toEqual(planBwrap({ ...spec, limits: {} }, HOST).argv);
  });

  it('binds private device nodes over --dev’s (rw, so they open) and masks /proc with the private /dev/null', () => {
    const privateDevices = {
      dir: '/root/.cache/mcp-warden/bwrap-dev',
      nodes: [
        { name: 'null', rdev: 259 },
        { name: 'zero', rdev: 261 },
      ],
    };
    const plan = planBwrap({ ...spec, limits: {} }, { ...HOST, privateDevices });
    const argv = plan.argv;
    const at = (...args: string[]): number =>
      argv.findIndex((_, i) => args.every((arg, j) => argv[i + j] === arg));
    const nullBind = at('--dev-bind', '/root/.cache/mcp-warden/bwrap-dev/null', '/dev/null');
    const zeroBind = at('--dev-bind', '/root/.cache/mcp-warden/bwrap-dev/zero', '/dev/zero');
    // After --dev /dev (which binds the host's), before /dev is remounted read-only (not recursively).
    expect(nullBind).toBeGreaterThan(at('--dev', '/dev'));
    expect(zeroBind).toBeGreaterThan(at('--dev', '/dev'));
    expect(at('--remount-ro', '/dev')).toBeGreaterThan(Math.max(nullBind, zeroBind));
    expect(at('--ro-bind', '/root/.cache/mcp-warden/bwrap-dev/null', '/proc/keys')).toBeGreaterThan(0);
    expect(at('--ro-bind', '/dev/null', '/proc/keys')).toBe(-1);
    expect(plan.details?.privateDevices).toEqual(privateDevices);
    expect(plan.notes.join('\n')).toContain('devices: /dev/null, /dev/zero are private copies');
    // Without them (a non-root warden): the argv of before, and nothing in details.
    const plain = planBwrap({ ...spec, limits: {} }, HOST);
    expect(plain.argv).not.toContain('--dev-bind');
    expect(plain.details).not.toHaveProperty('privateDevices');
    // The same argv otherwise: drop the --dev-bind triples, put the host's /dev/null back in the masks.
    const inTriple = (i: number): boolean => [i, i - 1, i - 2].some((j) => argv[j] === '--dev-bind');
    const back = argv
      .filter((_, i) => !inTriple(i))
      .map((arg) => (arg === '/root/.cache/mcp-warden/bwrap-dev/null' ? '/dev/null' : arg));
    expect(back).toEqual(plain.argv);
  });
});

describe('read-only /proc (a root warden)', () => {
  it('remounts /proc read-only after the masks bound over it; without readOnlyProc /proc is left as mounted', () => {
    const argv = planBwrap({ ...spec, limits: {} }, { ...HOST, readOnlyProc: true }).argv;
    const remount = argv.findIndex((arg, i) => arg === '--remount-ro' && argv[i + 1] === '/proc');
    expect(remount).toBeGreaterThan(argv.lastIndexOf('/proc/key-users'));
    expect(argv.slice(remount - 2, remount + 4)).toEqual([
      '--remount-ro',
      '/dev',
      '--remount-ro',
      '/proc',
      '--remount-ro',
      '/',
    ]);
    const plain = planBwrap({ ...spec, limits: {} }, HOST).argv;
    expect(plain.join(' ')).not.toContain('--remount-ro /proc');
    expect(argv.filter((_, i) => i !== remount && i !== remount + 1)).toEqual(plain);
  });
});

describe('masked /proc files', () => {
  it('binds /dev/null over only the /proc files the kernel has (bwrap cannot create one in /proc)', async () => {
    const { planBwrap: plan } = await import('../../../../src/sandboxes/bwrap/bwrap-plan.ts');
    const spec = {
      executable: '/usr/bin/node',
      args: [],
      env: {},
      roots: [],
      readOnlyPaths: [],
      runtimePaths: [],
      cwd: '/tmp',
      limits: {},
      network: false,
    } as unknown as Parameters<typeof plan>[0];
    const masks = (argv: string[]): string[] =>
      argv.flatMap((a, i) => (a === '--ro-bind' && argv[i + 1] === '/dev/null' ? [argv[i + 2] ?? ''] : []));
    const host = { bwrap: 'bwrap', arch: 'x86_64' as const };
    expect(masks(plan(spec, host).argv)).toEqual(['/proc/keys', '/proc/key-users']);
    expect(masks(plan(spec, { ...host, maskProcFiles: [] }).argv)).toEqual([]);
  });
});
