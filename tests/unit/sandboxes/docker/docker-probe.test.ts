// The container probe's decisions against a fake engine: gVisor is offered only when runsc enforces the
// containers' seccomp profile (its trial container's setuid chmod must answer EPERM), and an engine
// without seccomp offers neither backend.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

interface FakeEngine {
  securityOptions: string[];
  runtimeArgs: string[];
  /** What the trial container prints. */
  trial: { release: string; setuidChmod: string };
  created: Array<Record<string, unknown>>;
}

const engine: FakeEngine = {
  securityOptions: [],
  runtimeArgs: [],
  trial: { release: '4.4.0', setuidChmod: 'EPERM' },
  created: [],
};

/** A non-TTY log buffer: one stdout frame. */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = 1;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

vi.mock('../../../../src/sandboxes/docker/docker-connection.ts', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  dockerConnection: async () => ({
    ping: async () => 'OK',
    info: async () => ({
      ID: 'engine-1',
      ServerVersion: '20.10.24',
      SecurityOptions: engine.securityOptions,
      Runtimes: {
        runc: { path: 'runc' },
        runsc: { path: '/usr/bin/runsc', runtimeArgs: engine.runtimeArgs },
      },
    }),
    createContainer: async (options: Record<string, unknown>) => {
      engine.created.push(options);
      return {
        start: async () => undefined,
        wait: async () => ({ StatusCode: 0 }),
        logs: async () => frame(JSON.stringify(engine.trial)),
        remove: async () => undefined,
      };
    },
  }),
}));

vi.mock('../../../../src/sandboxes/docker/image/node-image.ts', () => ({
  nodeImageRef: () => ({ tag: 'mcp-warden/node:test-1', nodeRealPath: undefined }),
  hasImage: async () => true,
  ensureNodeImage: async () => undefined,
}));

const { probeContainerBackend } = await import('../../../../src/sandboxes/docker/docker-probe.ts');
const { dockerSeccompOption } = await import('../../../../src/sandboxes/seccomp/docker-profile.ts');

const SECCOMP = ['name=seccomp,profile=default'];
let hosts = 0;

beforeEach(() => {
  // A fresh DOCKER_HOST per test: the whole-probe cache key differs, only the trial cache may answer.
  vi.stubEnv('DOCKER_HOST', `unix:///nonexistent/docker-${hosts++}.sock`);
  Object.assign(engine, {
    securityOptions: SECCOMP,
    runtimeArgs: ['--network=none', '--oci-seccomp'],
    trial: { release: '4.4.0', setuidChmod: 'EPERM' },
    created: [],
  });
});
afterEach(() => vi.unstubAllEnvs());

describe.runIf(process.platform === 'linux')('probeContainerBackend', () => {
  it('gvisor is available when runsc enforces the profile: the trial runs with it and a tmpfs /tmp', async () => {
    const result = await probeContainerBackend('gvisor', undefined);
    expect(result).toMatchObject({ available: true });
    expect(result.checks?.find((c) => c.name === 'runsc')?.detail).toContain('seccomp profile enforced');
    const trial = engine.created[0] as {
      HostConfig: { Runtime: string; SecurityOpt: string[]; Tmpfs: object };
    };
    expect(trial.HostConfig.Runtime).toBe('runsc');
    expect(trial.HostConfig.SecurityOpt).toContain(dockerSeccompOption('runsc'));
    expect(trial.HostConfig.Tmpfs).toHaveProperty('/tmp');
  });

  it('gvisor is unavailable, with the exact fix, when runsc ignores the profile (no --oci-seccomp)', async () => {
    engine.runtimeArgs = ['--network=none'];
    engine.trial = { release: '4.4.0', setuidChmod: 'allowed' };
    const result = await probeContainerBackend('gvisor', undefined);
    expect(result.available).toBe(false);
    if (result.available) return;
    expect(result.reason).toMatch(/does not enforce the containers' seccomp profile/);
    expect(result.fix).toContain('"--oci-seccomp"');
    expect(result.fix).toContain('kill -HUP');
    expect(result.checks?.find((c) => c.name === 'runsc')).toMatchObject({ ok: false });
    // docker (runc) is unaffected: auto then picks it.
    expect(await probeContainerBackend('docker', undefined)).toMatchObject({ available: true });
  });

  it('an engine without seccomp support offers neither backend', async () => {
    engine.securityOptions = ['name=apparmor'];
    for (const backend of ['docker', 'gvisor'] as const) {
      const result = await probeContainerBackend(backend, undefined);
      expect(result.available).toBe(false);
      if (!result.available) expect(result.reason).toMatch(/no seccomp support/);
    }
  });

  it('a cached trial is reused only for the same runsc arguments', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'mcp-warden-probe-cache-'));
    expect(await probeContainerBackend('gvisor', cache)).toMatchObject({ available: true });
    expect(engine.created).toHaveLength(1);
    // Same runtime, another probe: the trial is not run again.
    vi.stubEnv('DOCKER_HOST', `unix:///nonexistent/docker-${hosts++}.sock`);
    expect(await probeContainerBackend('gvisor', cache)).toMatchObject({ available: true });
    expect(engine.created).toHaveLength(1);
    // runsc re-registered without --oci-seccomp: the trial runs again and fails.
    vi.stubEnv('DOCKER_HOST', `unix:///nonexistent/docker-${hosts++}.sock`);
    engine.runtimeArgs = ['--network=none'];
    engine.trial = { release: '4.4.0', setuidChmod: 'allowed' };
    expect(await probeContainerBackend('gvisor', cache)).toMatchObject({ available: false });
    expect(engine.created).toHaveLength(2);
  });
});
