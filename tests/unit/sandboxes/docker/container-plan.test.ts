import { describe, expect, it } from 'vitest';
import {
  containerUser,
  DEFAULT_CONTAINER_LIMITS,
  IMAGE_NODE,
  planContainer,
} from '../../../../src/sandboxes/docker/container-plan.ts';
import type { ContainerCreateBody } from '../../../../src/sandboxes/docker/container-plan.ts';
import { withEgressRelay } from '../../../../src/network/egress-launch.ts';
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

describe('planContainer with egress by allowlist', () => {
  // The spec as withEgressRelay leaves it: the warden's node runs the relay, which execs the server.
  const relayed = withEgressRelay(spec, {
    socketPath: '/tmp/mcp-warden-net-abc/proxy.sock',
    node: '/opt/node/bin/node',
    nodeFiles: ['/opt/node/bin/node', '/lib/x86_64-linux-gnu/libc.so.6'],
    relayEntry: '/w/src/network/relay-main.ts',
  });
  const egressOptions = { ...options, programRealPath: '/opt/node/bin/node' };

  it('mounts the proxy socket directory read-only at its own path, and keeps the network off', () => {
    for (const backend of ['docker', 'gvisor'] as const) {
      const plan = planContainer(relayed, { ...egressOptions, backend });
      const b = body(plan);
      expect(b.HostConfig.Mounts).toContainEqual({
        Type: 'bind',
        Source: '/tmp/mcp-warden-net-abc',
        Target: '/tmp/mcp-warden-net-abc',
        ReadOnly: true,
        BindOptions: { Propagation: 'rprivate' },
      });
      expect(b.HostConfig.NetworkMode).toBe('none');
      expect(b.NetworkDisabled).toBe(true);
      expect(plan.notes.join('\n')).toMatch(
        /egress by allowlist: loopback only; a relay inside on 127\.0\.0\.1 forwards to the warden's proxy socket \/tmp\/mcp-warden-net-abc\/proxy\.sock/,
      );
      expect(plan.details?.egressSocket).toBe('/tmp/mcp-warden-net-abc/proxy.sock');
    }
    expect(planContainer(relayed, { ...egressOptions, backend: 'gvisor' }).notes.join('\n')).toContain(
      '--host-uds=open',
    );
    // Without egress: no socket mount, no note, nothing for the launch to check.
    const plain = planContainer(spec, options);
    expect(JSON.stringify(plain)).not.toContain('mcp-warden-net');
    expect(plain.details?.egressSocket).toBeUndefined();
  });

  it("the relay and a node server both run on the image's node; the relay script is mounted, the host node is not", () => {
    const b = body(planContainer(relayed, egressOptions));
    expect(b.Cmd).toEqual([
      IMAGE_NODE,
      '--no-warnings',
      '/w/src/network/relay-main.ts',
      '/tmp/mcp-warden-net-abc/proxy.sock',
      '--',
      IMAGE_NODE,
      '/srv/pkg/index.js',
      '--flag',
    ]);
    const targets = b.HostConfig.Mounts.map((m) => m.Target);
    expect(b.HostConfig.Mounts).toContainEqual(
      expect.objectContaining({ Target: '/w/src/network/relay-main.ts', ReadOnly: true }),
    );
    expect(targets).not.toContain('/opt/node/bin/node');
    expect(targets).not.toContain('/lib/x86_64-linux-gnu/libc.so.6');
  });

  it("a server on another runtime: the relay still runs on the image's node, the server's runtime is mounted", () => {
    const python = withEgressRelay(
      {
        ...spec,
        executable: '/usr/bin/python3.11',
        args: ['/srv/pkg/server.py'],
        readOnlyPaths: ['/usr/bin/python3.11', '/lib/x86_64-linux-gnu/libc.so.6', '/srv/pkg'],
        runtimePaths: ['/usr/bin/python3.11', '/lib/x86_64-linux-gnu/libc.so.6'],
      },
      {
        socketPath: '/tmp/mcp-warden-net-abc/proxy.sock',
        node: '/opt/node/bin/node',
        nodeFiles: ['/opt/node/bin/node', '/lib/x86_64-linux-gnu/libc.so.6'],
        relayEntry: '/w/src/network/relay-main.ts',
      },
    );
    const plan = planContainer(python, { ...options, programRealPath: '/usr/bin/python3.11' });
    const b = body(plan);
    expect(b.Cmd[0]).toBe(IMAGE_NODE);
    expect(b.Cmd.slice(4)).toEqual(['--', '/usr/bin/python3.11', '/srv/pkg/server.py']);
    const targets = b.HostConfig.Mounts.map((m) => m.Target);
    expect(targets).toContain('/usr/bin/python3.11');
    // A library the relay's node shares with the server stays mounted: the server needs the host's.
    expect(targets).toContain('/lib/x86_64-linux-gnu/libc.so.6');
    expect(targets).not.toContain('/opt/node/bin/node');
    expect(plan.notes.join('\n')).toContain(
      `runtime: the egress relay on ${IMAGE_NODE} from image mcp-warden/node:abc-1, then the server's /usr/bin/python3.11 and its libraries mounted read-only from the host`,
    );
  });

  it("refuses a profile's own image: the relay needs the warden's node, which only the offline image has", () => {
    const custom = {
      ...relayed,
      containerImage: { image: 'mcp-warden/python:3.12', runtime: '/usr/local/bin/python3' },
    };
    expect(() => planContainer(custom, egressOptions)).toThrow(
      expect.objectContaining({
        code: 'config',
        message: expect.stringMatching(/network allowlist cannot be used with the profile's own image/),
        hint: expect.stringMatching(/remove "container" from the profile/),
      }),
    );
  });
});
