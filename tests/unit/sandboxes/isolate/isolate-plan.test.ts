import { describe, expect, it } from 'vitest';
import { HOST_CONFIG_ENV, type HostConfig } from '../../../../src/sandboxes/isolate/host-config.ts';
import { DEFAULT_MEMORY_MB, planIsolate, scriptOf } from '../../../../src/sandboxes/isolate/isolate-plan.ts';
import type { LaunchSpec } from '../../../../src/sandboxes/types.ts';

const spec = (overrides: Partial<LaunchSpec> = {}): LaunchSpec => ({
  executable: '/usr/bin/node',
  args: ['/srv/pkg/server.js', '--flag', '/data'],
  env: { PATH: '/usr/bin', TOKEN: 't' },
  roots: [{ path: '/data', realPath: '/data', readOnly: false }],
  readOnlyPaths: ['/usr/bin/node', '/lib/libc.so.6', '/srv/pkg'],
  runtimePaths: ['/usr/bin/node', '/lib/libc.so.6'],
  cwd: '/data',
  limits: {},
  network: false,
  ...overrides,
});
const host = {
  node: '/opt/node/bin/node',
  hostEntry: '/w/host-main.ts',
  setpriv: '/usr/bin/setpriv',
  cacheDir: '/c',
  cpuMs: 1234,
};

describe('planIsolate', () => {
  it('starts host-main with the warden’s Node under setpriv, the config as JSON in its environment only', () => {
    const plan = planIsolate(spec(), host);
    expect(plan.backend).toBe('isolate');
    expect(plan.argv).toEqual([
      '/usr/bin/setpriv',
      '--pdeathsig',
      'KILL',
      '--',
      '/opt/node/bin/node',
      '/w/host-main.ts',
    ]);
    expect(Object.keys(plan.env)).toEqual([HOST_CONFIG_ENV]);
    const config = JSON.parse(plan.env[HOST_CONFIG_ENV] as string) as HostConfig;
    expect(config).toEqual(plan.details?.host);
    expect(config).toEqual({
      entry: '/srv/pkg/server.js',
      argv: ['/usr/bin/node', '/srv/pkg/server.js', '--flag', '/data'],
      env: { PATH: '/usr/bin', TOKEN: 't' },
      cwd: '/data',
      roots: [{ path: '/data', realPath: '/data', readOnly: false }],
      readOnlyPaths: ['/srv/pkg'],
      memoryMb: DEFAULT_MEMORY_MB,
      cpuMs: 1234,
      cacheDir: '/c',
    });
  });

  it('never puts an --env value into argv (world-readable in /proc/PID/cmdline)', () => {
    const plan = planIsolate(spec({ env: { PATH: '/usr/bin', API_TOKEN: 'tok-3f9a1c-secret' } }), host);
    expect(plan.argv.join(' ')).not.toContain('tok-3f9a1c-secret');
    expect(plan.env[HOST_CONFIG_ENV]).toContain('tok-3f9a1c-secret');
  });

  it('takes the memory limit from the spec and states the limits it cannot enforce', () => {
    const plan = planIsolate(spec({ limits: { memoryMb: 64, cpus: 2 } }), { ...host, setpriv: undefined });
    expect(plan.argv[0]).toBe('/opt/node/bin/node');
    expect((plan.details?.host as HostConfig).memoryMb).toBe(64);
    expect(plan.unenforced.join(' ')).toContain('cpus 2');
  });

  it('ignores node options before the script, and says so', () => {
    const plan = planIsolate(spec({ args: ['--enable-source-maps', '/srv/pkg/server.js'] }), host);
    expect((plan.details?.host as HostConfig).entry).toBe('/srv/pkg/server.js');
    expect(plan.notes.join('\n')).toContain('node options ignored: --enable-source-maps');
  });
});

describe('planIsolate with egress by allowlist', () => {
  it('gives the host the proxy socket and says how requests reach it; without one, no network', () => {
    const socketPath = '/tmp/mcp-warden-net-x/proxy.sock';
    const plan = planIsolate(spec({ egress: { socketDir: '/tmp/mcp-warden-net-x', socketPath } }), host);
    const config = JSON.parse(plan.env[HOST_CONFIG_ENV] as string) as HostConfig;
    expect(config.egressSocket).toBe(socketPath);
    // The isolate needs no relay: the command is host-main itself.
    expect(plan.argv.at(-1)).toBe('/w/host-main.ts');
    expect(plan.notes.join('\n')).toContain(`only to the warden's proxy socket ${socketPath}`);
    expect(plan.notes.join('\n')).toMatch(/net, tls, dgram and dns stay unavailable/);
    const off = planIsolate(spec(), host);
    expect(JSON.parse(off.env[HOST_CONFIG_ENV] as string)).not.toHaveProperty('egressSocket');
    expect(off.notes.join('\n')).toMatch(/network, processes, threads, native addons: none/);
  });
});

describe('scriptOf', () => {
  it('refuses anything that is not a Node script with a config error naming other profiles', () => {
    expect(() => scriptOf(spec({ executable: '/usr/bin/python3', args: ['server.py'] }))).toThrow(
      /JavaScript servers only/,
    );
    expect(() => scriptOf(spec({ args: ['-e', 'console.log(1)'] }))).toThrow(/JavaScript servers only/);
    expect(() => scriptOf(spec({ args: [] }))).toThrow(
      expect.objectContaining({ hint: expect.stringMatching(/--profile bwrap/) }),
    );
  });
});
