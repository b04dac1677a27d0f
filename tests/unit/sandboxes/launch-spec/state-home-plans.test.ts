// How each backend's planner gives the server its state home: read-write at its own path, as HOME,
// next to the roots (and never as one: the policy layer's roots are unchanged).
import { describe, expect, it } from 'vitest';
import { planBwrap } from '../../../../src/sandboxes/bwrap/bwrap-plan.ts';
import { type ContainerCreateBody, planContainer } from '../../../../src/sandboxes/docker/container-plan.ts';
import type { HostConfig } from '../../../../src/sandboxes/isolate/host-config.ts';
import { planIsolate } from '../../../../src/sandboxes/isolate/isolate-plan.ts';
import { readBasePolicy } from '../../../../src/sandboxes/seatbelt/base-policy.ts';
import { type SeatbeltDetails, planSeatbelt } from '../../../../src/sandboxes/seatbelt/seatbelt-plan.ts';
import type { LaunchSpec } from '../../../../src/sandboxes/types.ts';

const HOME = '/home/u/.local/state/mcp-warden/homes/memory';
const spec: LaunchSpec = {
  executable: '/usr/bin/node',
  args: ['/srv/pkg/index.js'],
  env: { PATH: '/usr/bin:/bin', HOME },
  roots: [{ path: '/data', realPath: '/data', readOnly: false }],
  readOnlyPaths: ['/usr/bin/node', '/srv/pkg'],
  runtimePaths: ['/usr/bin/node'],
  stateHome: { path: HOME, name: 'memory', why: 'named by --name memory' },
  cwd: '/data',
  limits: {},
  network: false,
};

describe('the state home in every plan', () => {
  it('bwrap: a read-write bind at its own path', () => {
    const { argv, notes } = planBwrap(spec, { bwrap: '/usr/bin/bwrap', arch: 'x86_64' });
    const at = argv.findIndex((arg, i) => arg === '--bind' && argv[i + 1] === HOME);
    expect(at).toBeGreaterThan(0);
    expect(argv[at + 2]).toBe(HOME);
    expect(notes.join('\n')).toContain(`home: ${HOME}`);
  });

  it('docker/gvisor: a read-write mount, HOME set to it, and the uid it must belong to', () => {
    const plan = planContainer(spec, {
      backend: 'gvisor',
      image: { tag: 'mcp-warden/node:x-1', nodeRealPath: '/usr/bin/node' },
      executableRealPath: '/usr/bin/node',
      user: { uid: 65534, gid: 65534 },
      owner: 'h/b/1/2',
    });
    const body = plan.details?.container as ContainerCreateBody;
    expect(body.HostConfig.Mounts).toContainEqual({
      Type: 'bind',
      Source: HOME,
      Target: HOME,
      ReadOnly: false,
      BindOptions: { Propagation: 'rprivate' },
    });
    expect(body.Env).toContain(`HOME=${HOME}`);
    expect(plan.runAs).toEqual({ uid: 65534, gid: 65534 });
    const without = planContainer(
      { ...spec, env: { PATH: '/usr/bin:/bin' }, stateHome: undefined },
      {
        backend: 'docker',
        image: { tag: 'mcp-warden/node:x-1', nodeRealPath: '/usr/bin/node' },
        executableRealPath: '/usr/bin/node',
        user: { uid: 1000, gid: 1000 },
        owner: 'h/b/1/2',
      },
    );
    expect((without.details?.container as ContainerCreateBody).Env).toContain('HOME=/tmp');
  });

  it('seatbelt: STATE_HOME readable and writable, as a -D parameter', () => {
    const plan = planSeatbelt(spec, {
      basePolicy: readBasePolicy(),
      home: '/Users/u',
      workDir: '/private/tmp/w',
    });
    const details = plan.details as unknown as SeatbeltDetails;
    expect(details.params.STATE_HOME).toBe(HOME);
    expect(details.profile).toMatch(
      /\(allow file-read\* file-write\*\n( {2}.*\n)* {2}\(subpath \(param "STATE_HOME"\)\)/,
    );
    expect(plan.env.HOME).toBe(HOME);
  });

  it('isolate: one more read-write place for the fs shim; HOME in the guest env', () => {
    const plan = planIsolate(spec, {
      node: '/usr/bin/node',
      hostEntry: '/w/host-main.ts',
      setpriv: undefined,
      cacheDir: undefined,
      cpuMs: 1000,
    });
    const config = plan.details?.host as HostConfig;
    expect(config.roots).toEqual([
      { path: '/data', realPath: '/data', readOnly: false },
      { path: HOME, realPath: HOME, readOnly: false },
    ]);
    expect(config.env.HOME).toBe(HOME);
  });
});
