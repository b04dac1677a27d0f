import { describe, expect, it } from 'vitest';
import {
  HOST_UDS_FIX,
  RUNSC_DAEMON_JSON,
  hostUdsError,
  requireRunscHostUds,
  runscConnectsHostSockets,
  runscHostUds,
} from '../../../../src/sandboxes/docker/runsc-host-uds.ts';

describe('runscHostUds', () => {
  it('reads every spelling Go flags accept; the last one wins; default none', () => {
    expect(runscHostUds([])).toBe('none');
    expect(runscHostUds(['--network=none', '--oci-seccomp'])).toBe('none');
    expect(runscHostUds(['--host-uds=open'])).toBe('open');
    expect(runscHostUds(['-host-uds=all'])).toBe('all');
    expect(runscHostUds(['--host-uds', 'open', '--network=none'])).toBe('open');
    expect(runscHostUds(['-host-uds', 'create'])).toBe('create');
    expect(runscHostUds(['--host-uds=open', '--host-uds=none'])).toBe('none');
    // The deprecated boolean means all.
    expect(runscHostUds(['-fsgofer-host-uds'])).toBe('all');
    expect(runscHostUds(['--fsgofer-host-uds=false'])).toBe('none');
    // Not the flag: a longer name, or the value of another flag.
    expect(runscHostUds(['--host-uds-extra=open', '--host-fifo=open'])).toBe('none');
  });

  it('only open and all let a sandbox connect to a host socket (create only binds)', () => {
    expect(runscConnectsHostSockets(['--host-uds=open'])).toBe(true);
    expect(runscConnectsHostSockets(['--host-uds=all'])).toBe(true);
    expect(runscConnectsHostSockets(['--host-uds=create'])).toBe(false);
    expect(runscConnectsHostSockets(['--network=none', '--oci-seccomp'])).toBe(false);
  });

  it('the error: the backend is unavailable (auto moves on), naming what runsc runs with and the exact daemon.json to write', () => {
    const error = hostUdsError(['--network=none', '--oci-seccomp']);
    expect(error.code).toBe('backend-unavailable');
    expect(error.message).toContain('host-uds none');
    expect(error.message).toContain('["--network=none","--oci-seccomp"]');
    expect(error.hint).toBe(HOST_UDS_FIX);
    expect(HOST_UDS_FIX).toContain('"--host-uds=open"');
    expect(HOST_UDS_FIX).toContain('kill -HUP $(pidof dockerd)');
    expect(JSON.parse(RUNSC_DAEMON_JSON)).toEqual({
      runtimes: {
        runsc: {
          path: '/usr/bin/runsc',
          runtimeArgs: ['--network=none', '--oci-seccomp', '--host-uds=open'],
        },
      },
    });
  });
});

describe('requireRunscHostUds', () => {
  const engine = (runsc: { runtimeArgs?: string[] } | undefined) => ({
    info: async () => ({ Runtimes: runsc === undefined ? {} : { runsc } }),
  });

  it('passes when the engine runs runsc with --host-uds=open', async () => {
    await expect(
      requireRunscHostUds(engine({ runtimeArgs: ['--network=none', '--oci-seccomp', '--host-uds=open'] })),
    ).resolves.toBeUndefined();
  });

  it('refuses without it, or without runsc arguments at all, with the fix', async () => {
    for (const runsc of [{ runtimeArgs: ['--network=none', '--oci-seccomp'] }, {}, undefined]) {
      await expect(requireRunscHostUds(engine(runsc))).rejects.toMatchObject({
        code: 'backend-unavailable',
        hint: HOST_UDS_FIX,
      });
    }
  });
});
