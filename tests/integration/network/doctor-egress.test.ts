// doctor's egress relay check: a real relay round trip through each isolating backend's own plan and
// launch, against a real EgressProxy on its unix socket. Loopback and unix sockets only.
import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { egressRelayCheck, egressShimsCheck } from '../../../src/cli/doctor-egress.ts';
import { dockerConnection } from '../../../src/sandboxes/docker/docker-connection.ts';
import { OWNER_LABEL, parseOwner } from '../../../src/sandboxes/docker/owner.ts';
import { getBackend } from '../../../src/sandboxes/registry.ts';
import type { Backend } from '../../../src/sandboxes/types.ts';
import { BWRAP_PROFILE, DOCKER_PROFILE, GVISOR_PROFILE, isContainer } from '../../helpers/containers.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

// The check makes its socket's directory under the temp dir: a private one here, so what is left in it
// is this file's alone (other test files make theirs in /tmp at the same time).
const sockets = tmpRoot('doctor-sock');
const savedTmpdir = process.env.TMPDIR;
process.env.TMPDIR = sockets;
afterAll(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
});
const socketDirs = (): string[] => readdirSync(sockets);

/** Containers this test process started that are still in the engine. */
async function leftContainers(): Promise<string[]> {
  const engine = await dockerConnection();
  const list = await engine.listContainers({ all: true, filters: { label: [OWNER_LABEL] } });
  return list
    .filter((info) => parseOwner(info.Labels[OWNER_LABEL] ?? '')?.pid === process.pid)
    .map((info) => info.Id);
}

/** The backend with the socket's directory left out of the sandbox: the relay cannot reach the proxy. */
function withoutSocketMount(backend: Backend): Backend {
  return {
    ...backend,
    plan: (spec) => backend.plan({ ...spec, egress: undefined }),
    launch: (plan, options) => backend.launch(plan, options),
  };
}

describe.each([BWRAP_PROFILE, DOCKER_PROFILE, GVISOR_PROFILE])(
  'doctor: egress relay on $profile ($status)',
  ({ profile, enabled }) => {
    it.runIf(enabled)(
      'passes: the proxy’s answer comes back through the relay in the sandbox',
      async () => {
        const { check } = await egressRelayCheck(getBackend(profile));
        expect(check).toMatchObject({ name: 'egress relay', ok: true });
        expect(check.detail).toMatch(/real round trip, \d+ ms/);
        expect(socketDirs()).toEqual([]);
        if (isContainer(profile)) expect(await leftContainers()).toEqual([]);
      },
      60_000,
    );

    it.runIf(enabled)(
      'fails when the sandbox cannot reach the socket (the check can fail)',
      async () => {
        const { check } = await egressRelayCheck(withoutSocketMount(getBackend(profile)));
        expect(check.ok).toBe(false);
        expect(check.detail).toMatch(/the relay did not reach the proxy/);
        expect(socketDirs()).toEqual([]);
        if (isContainer(profile)) expect(await leftContainers()).toEqual([]);
      },
      60_000,
    );
  },
);

describe('doctor: egress shims on isolate', () => {
  it('passes: fetch() in the isolate reaches the proxy through the host and its 403 comes back', async () => {
    const { check } = await egressShimsCheck(getBackend('isolate'));
    expect(check).toMatchObject({ name: 'egress shims', ok: true });
    expect(check.detail).toMatch(/real round trip, \d+ ms/);
    expect(socketDirs()).toEqual([]);
  }, 60_000);

  it('fails when the sandbox has no egress socket (the check can fail)', async () => {
    const { check } = await egressShimsCheck(withoutSocketMount(getBackend('isolate')));
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/the shims did not reach the proxy: .*not available/);
    expect(socketDirs()).toEqual([]);
  }, 60_000);
});
