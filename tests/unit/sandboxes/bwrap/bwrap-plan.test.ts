import { describe, expect, it } from 'vitest';
import { planBwrap } from '../../../../src/sandboxes/bwrap/bwrap-plan.ts';
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

describe('planBwrap', () => {
  it('builds the exact argv (golden)', () => {
    const plan = planBwrap(spec, '/usr/bin/bwrap');
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
      '--setenv',
      'PATH',
      '/usr/local/bin:/usr/bin:/bin',
      '--setenv',
      'TOKEN',
      'x',
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
  });

  it('mounts parents before children, whatever the input order', () => {
    const plan = planBwrap(
      {
        ...spec,
        roots: [{ path: '/tmp/w/root/sub', realPath: '/tmp/w/root/sub', readOnly: false }],
        readOnlyPaths: ['/tmp/w/root/sub/deep/file', '/tmp/w/root'],
        limits: {},
      },
      'bwrap',
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
    const plan = planBwrap({ ...spec, network: true, limits: {} }, 'bwrap');
    expect(plan.argv).not.toContain('--unshare-net');
    expect(plan.argv.join(' ')).toContain('--ro-bind-try /etc/resolv.conf /etc/resolv.conf');
    expect(plan.unenforced).toEqual([]);
  });

  it('starts bwrap through setpriv --pdeathsig KILL when setpriv is available', () => {
    const plan = planBwrap({ ...spec, limits: {} }, '/usr/bin/bwrap', '/usr/bin/setpriv');
    expect(plan.argv.slice(0, 5)).toEqual([
      '/usr/bin/setpriv',
      '--pdeathsig',
      'KILL',
      '--',
      '/usr/bin/bwrap',
    ]);
    expect(plan.argv.slice(4)).toEqual(planBwrap({ ...spec, limits: {} }, '/usr/bin/bwrap').argv);
  });
});
