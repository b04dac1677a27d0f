import { describe, expect, it } from 'vitest';
import {
  containerUser,
  DEFAULT_CONTAINER_LIMITS,
  IMAGE_NODE,
  planContainer,
} from '../../../../src/sandboxes/docker/container-plan.ts';
import type { ContainerCreateBody } from '../../../../src/sandboxes/docker/container-plan.ts';
import { dockerSeccompOption } from '../../../../src/sandboxes/seccomp/docker-profile.ts';
import type { LaunchSpec } from '../../../../src/sandboxes/types.ts';

const spec: LaunchSpec = {
  executable: '/opt/node/bin/node',
  args: ['/srv/pkg/index.js', '--flag'],
  env: { PATH: '/usr/local/bin:/usr/bin:/bin', TOKEN: 't' },
  roots: [
    { path: '/home/u/proj', realPath: '/data/proj', readOnly: false },
    { path: '/home/u/docs', realPath: '/home/u/docs', readOnly: true },
  ],
  readOnlyPaths: [
    '/opt/node/bin/node',
    '/lib/x86_64-linux-gnu/libc.so.6',
    '/srv/pkg',
    '/srv/pkg/node_modules',
    '/home/u/proj',
  ],
  runtimePaths: ['/opt/node/bin/node', '/lib/x86_64-linux-gnu/libc.so.6'],
  cwd: '/home/u/proj',
  limits: { memoryMb: 300 },
  network: false,
};

const options = {
  backend: 'docker' as const,
  image: { tag: 'mcp-warden/node:abc-1', nodeRealPath: '/opt/node/bin/node' },
  executableRealPath: '/opt/node/bin/node',
  user: { uid: 65534, gid: 65534 },
  owner: 'host/boot/1/2',
};

const body = (plan: ReturnType<typeof planContainer>): ContainerCreateBody =>
  plan.details?.container as ContainerCreateBody;

describe('planContainer', () => {
  it('applies every hardening setting (pinned: widening one must be a visible diff)', () => {
    const b = body(planContainer(spec, options));
    expect(b.HostConfig).toMatchObject({
      Runtime: 'runc',
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges:true', dockerSeccompOption('runc')],
      Privileged: false,
      Init: true,
      IpcMode: 'private',
      PidMode: '',
      UsernsMode: '',
      AutoRemove: false,
      Devices: [],
      LogConfig: { Type: 'none', Config: {} },
      Ulimits: [{ Name: 'core', Soft: 0, Hard: 0 }],
    });
    expect(b.NetworkDisabled).toBe(true);
    expect(b.User).toBe('65534:65534');
    expect(b.HostConfig.Tmpfs).toEqual({ '/tmp': 'rw,nosuid,nodev,noexec,size=64m,mode=1777' });
    // No seccomp=unconfined, no apparmor=unconfined, no label=disable: the engine's AppArmor/SELinux
    // defaults stay on, and the seccomp profile is the warden's (an allowlist like the engine's default).
    expect(b.HostConfig.SecurityOpt.join(' ')).not.toMatch(/unconfined|disable/);
    expect(b.HostConfig.SecurityOpt[1]).toMatch(/^seccomp=\{"defaultAction":"SCMP_ACT_ERRNO"/);
    expect(JSON.stringify(b)).not.toContain('docker.sock');
  });

  it('masks Docker’s default /proc and /sys paths (the body replaces the engine’s list), /proc/key-users and the host’s extra ones', () => {
    const b = body(
      planContainer(spec, { ...options, hostMaskedPaths: ['/sys/devices/system/cpu/cpu0/thermal_throttle'] }),
    );
    expect(b.HostConfig.MaskedPaths).toEqual([
      '/proc/acpi',
      '/proc/asound',
      '/proc/interrupts',
      '/proc/kcore',
      '/proc/keys',
      '/proc/latency_stats',
      '/proc/sched_debug',
      '/proc/scsi',
      '/proc/timer_list',
      '/proc/timer_stats',
      '/sys/devices/virtual/powercap',
      '/sys/firmware',
      '/proc/key-users',
      '/sys/devices/system/cpu/cpu0/thermal_throttle',
    ]);
  });

  it('limits: the profile value wins, the backend default fills the rest, swap equals memory', () => {
    const b = body(planContainer(spec, options));
    expect(b.HostConfig.Memory).toBe(300 * 1024 * 1024);
    expect(b.HostConfig.MemorySwap).toBe(b.HostConfig.Memory);
    expect(b.HostConfig.NanoCpus).toBe(DEFAULT_CONTAINER_LIMITS.cpus * 1e9);
    expect(b.HostConfig.PidsLimit).toBe(DEFAULT_CONTAINER_LIMITS.pids);
  });

  it('gvisor is the same container under runsc', () => {
    const docker = body(planContainer(spec, options));
    const gvisor = body(planContainer(spec, { ...options, backend: 'gvisor' }));
    expect(gvisor.HostConfig.Runtime).toBe('runsc');
    // gVisor answers every ERRNO rule with EPERM: its profile lets clone3 reach the Sentry instead.
    expect(gvisor.HostConfig.SecurityOpt).toEqual(['no-new-privileges:true', dockerSeccompOption('runsc')]);
    // gVisor's gofer spends host tasks per mount: the pids budget grows with the mounts.
    expect(gvisor.HostConfig.PidsLimit).toBe(
      docker.HostConfig.PidsLimit + 5 * docker.HostConfig.Mounts.length,
    );
    expect({
      ...gvisor,
      HostConfig: {
        ...gvisor.HostConfig,
        Runtime: 'runc',
        PidsLimit: docker.HostConfig.PidsLimit,
        SecurityOpt: docker.HostConfig.SecurityOpt,
      },
      Labels: docker.Labels,
    }).toEqual(docker);
  });

  it('node comes from the image when it is the same binary; its host files are not mounted', () => {
    const plan = planContainer(spec, options);
    const b = body(plan);
    expect(b.Cmd).toEqual([IMAGE_NODE, '/srv/pkg/index.js', '--flag']);
    const targets = b.HostConfig.Mounts.map((m) => m.Target);
    expect(targets).not.toContain('/opt/node/bin/node');
    expect(targets).not.toContain('/lib/x86_64-linux-gnu/libc.so.6');
    expect(plan.argv).toEqual(b.Cmd);
  });

  it('another runtime is mounted read-only from the host and run by its own path', () => {
    const b = body(planContainer(spec, { ...options, executableRealPath: '/usr/bin/python3.11' }));
    expect(b.Cmd[0]).toBe('/opt/node/bin/node');
    expect(b.HostConfig.Mounts).toContainEqual(
      expect.objectContaining({ Target: '/opt/node/bin/node', ReadOnly: true }),
    );
  });

  it('roots: the real directory mounted at the given and the real path; ro roots read-only; roots win over code paths', () => {
    const mounts = body(planContainer(spec, options)).HostConfig.Mounts;
    const byTarget = new Map(mounts.map((m) => [m.Target, m]));
    expect(byTarget.get('/home/u/proj')).toMatchObject({ Source: '/data/proj', ReadOnly: false });
    expect(byTarget.get('/data/proj')).toMatchObject({ Source: '/data/proj', ReadOnly: false });
    expect(byTarget.get('/home/u/docs')).toMatchObject({ Source: '/home/u/docs', ReadOnly: true });
    expect(byTarget.get('/srv/pkg')).toMatchObject({ ReadOnly: true });
    expect(mounts.filter((m) => m.Target === '/home/u/proj')).toHaveLength(1);
    // Parents before children.
    const depth = (t: string): number => t.split('/').filter(Boolean).length;
    const depths = mounts.map((m) => depth(m.Target));
    expect([...depths].sort((a, b) => a - b)).toEqual(depths);
  });

  it('environment: exactly the spec env plus HOME=/tmp; labels name the owner and backend', () => {
    const b = body(planContainer(spec, options));
    expect(b.Env).toEqual(['PATH=/usr/local/bin:/usr/bin:/bin', 'TOKEN=t', 'HOME=/tmp']);
    expect(b.Labels).toEqual({ 'dev.mcp-warden.owner': 'host/boot/1/2', 'dev.mcp-warden.backend': 'docker' });
    expect(b.StdinOnce).toBe(true);
    expect(b.Tty).toBe(false);
  });

  it("a profile's own image: its runtime replaces the program, and the host runtime is not mounted", () => {
    const custom = {
      ...spec,
      containerImage: { image: 'mcp-warden/python:3.12', runtime: '/usr/local/bin/python3' },
    };
    const b = body(planContainer(custom, options));
    expect(b.Image).toBe('mcp-warden/python:3.12');
    expect(b.Cmd).toEqual(['/usr/local/bin/python3', '/srv/pkg/index.js', '--flag']);
    expect(b.HostConfig.Mounts.map((m) => m.Target)).not.toContain('/opt/node/bin/node');
    // Without a runtime the host program is mounted, even though it is the offline image's node.
    const bare = body(planContainer({ ...spec, containerImage: { image: 'x/y:1' } }, options));
    expect(bare.Cmd[0]).toBe('/opt/node/bin/node');
    expect(bare.HostConfig.Mounts).toContainEqual(
      expect.objectContaining({ Target: '/opt/node/bin/node', ReadOnly: true }),
    );
  });

  it('network allowed by the profile: bridge for docker; gvisor says it cannot here', () => {
    const net = { ...spec, network: true };
    expect(body(planContainer(net, options)).HostConfig.NetworkMode).toBe('bridge');
    expect(planContainer(net, { ...options, backend: 'gvisor' }).unenforced[0]).toMatch(/network/);
    expect(planContainer(spec, { ...options, backend: 'gvisor' }).unenforced).toEqual([]);
  });
});

describe('containerUser', () => {
  const root = { uid: 0, gid: 0 };
  it('a warden that is not root: its own uid and gid, whoever owns the roots', () => {
    expect(containerUser({ uid: 1000, gid: 1001 }, [])).toEqual({ uid: 1000, gid: 1001 });
    expect(containerUser({ uid: 1000, gid: 1001 }, [{ uid: 2000, gid: 2000 }])).toEqual({
      uid: 1000,
      gid: 1001,
    });
  });

  it('a root warden: the owner of the first rw root, so files it creates belong to that user', () => {
    expect(containerUser(root, [{ uid: 1000, gid: 1000 }])).toEqual({ uid: 1000, gid: 1000 });
    expect(
      containerUser(root, [
        { uid: 1000, gid: 100 },
        { uid: 2000, gid: 2000 },
      ]),
    ).toEqual({ uid: 1000, gid: 100 });
    // A user's root in root's group: the user, never root's group.
    expect(containerUser(root, [{ uid: 1000, gid: 0 }])).toEqual({ uid: 1000, gid: 65534 });
  });

  it('never uid 0: a root warden with a root-owned first rw root, or none, runs as nobody', () => {
    expect(containerUser(root, [])).toEqual({ uid: 65534, gid: 65534 });
    expect(
      containerUser(root, [
        { uid: 0, gid: 0 },
        { uid: 1000, gid: 1000 },
      ]),
    ).toEqual({ uid: 65534, gid: 65534 });
  });

  it('planContainer refuses uid 0 whoever asks', () => {
    expect(() => planContainer(spec, { ...options, user: { uid: 0, gid: 0 } })).toThrow(
      /never runs as uid 0/,
    );
  });
});
