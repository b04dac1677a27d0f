// Container hardening pinned as literals (issue 20 items 3, 5): the seccomp profile every docker/gvisor
// container gets, and the /proc paths it cannot read. Widening one must be a visible, deliberate diff.
import { describe, expect, it } from 'vitest';
import { type ContainerCreateBody, planContainer } from '../../src/sandboxes/docker/container-plan.ts';
import {
  DOCKER_DEFAULT_ALLOWED,
  DOCKER_DEFAULT_SOURCE,
} from '../../src/sandboxes/seccomp/docker-default-syscalls.ts';
import { dockerSeccompOption, dockerSeccompProfile } from '../../src/sandboxes/seccomp/docker-profile.ts';
import type { LaunchSpec } from '../../src/sandboxes/types.ts';

const spec: LaunchSpec = {
  executable: '/usr/bin/node',
  args: ['/srv/server.js'],
  env: {},
  roots: [{ path: '/data', realPath: '/data', readOnly: false }],
  readOnlyPaths: [],
  runtimePaths: [],
  cwd: '/data',
  limits: {},
  network: false,
};

function body(backend: 'docker' | 'gvisor'): ContainerCreateBody {
  const plan = planContainer(spec, {
    backend,
    image: { tag: 'mcp-warden/node:pin-1', nodeRealPath: '/usr/bin/node' },
    executableRealPath: '/usr/bin/node',
    user: { uid: 65534, gid: 65534 },
    owner: 'host/boot/1/2',
  });
  return plan.details?.container as ContainerCreateBody;
}

describe('pinned container hardening', () => {
  it('every container: no-new-privileges and the warden’s seccomp profile for its runtime', () => {
    expect(body('docker').HostConfig.SecurityOpt).toEqual([
      'no-new-privileges:true',
      dockerSeccompOption('runc'),
    ]);
    expect(body('gvisor').HostConfig.SecurityOpt).toEqual([
      'no-new-privileges:true',
      dockerSeccompOption('runsc'),
    ]);
  });

  it('the profile is Docker’s default allowlist (this version), EPERM for everything else', () => {
    expect(DOCKER_DEFAULT_SOURCE).toBe('github.com/moby/profiles/seccomp v0.2.3 (moby/moby docker-v29.7.2)');
    expect(DOCKER_DEFAULT_ALLOWED).toHaveLength(361);
    for (const runtime of ['runc', 'runsc'] as const) {
      const profile = dockerSeccompProfile(runtime);
      expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
      expect(profile.defaultErrnoRet).toBe(1);
    }
  });

  it('what the warden takes away from Docker’s unconditional allowlist', () => {
    const profile = dockerSeccompProfile('runc');
    const unconditional = new Set(
      profile.syscalls
        .filter((rule) => rule.action === 'SCMP_ACT_ALLOW' && !rule.args && !rule.includes)
        .flatMap((rule) => rule.names),
    );
    expect(DOCKER_DEFAULT_ALLOWED.filter((name) => !unconditional.has(name)).sort()).toEqual([
      'chmod',
      'clock_adjtime',
      'creat',
      'fchmod',
      'fchmodat',
      'fchmodat2',
      'mkdir',
      'mkdirat',
      'mknod',
      'mknodat',
      'name_to_handle_at',
      'open',
      'openat',
      'openat2',
    ]);
  });

  it('mode-setting calls: allowed only without setuid/setgid/sticky bits (or without O_CREAT/O_TMPFILE)', () => {
    const guarded = dockerSeccompProfile('runc').syscalls.filter(
      (rule) =>
        rule.args && rule.names.some((name) => ['chmod', 'open', 'openat', 'fchmodat'].includes(name)),
    );
    expect(guarded).toEqual([
      {
        names: ['chmod', 'fchmod', 'creat', 'mkdir', 'mknod'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 1, value: 0o7000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
      {
        names: ['fchmodat', 'fchmodat2', 'open', 'mkdirat', 'mknodat'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 2, value: 0o7000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
      {
        names: ['open'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 1, value: 0o100 | 0o20000000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
      {
        names: ['openat'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 2, value: 0o100 | 0o20000000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
      {
        names: ['openat'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 3, value: 0o7000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
    ]);
  });

  it('keyrings are masked in /proc as well as denied', () => {
    expect(body('docker').HostConfig.MaskedPaths).toEqual(
      expect.arrayContaining(['/proc/keys', '/proc/key-users']),
    );
  });
});
