// planEgress/applyEgress for the isolate: an allowlist gets a proxy socket but no relay (the isolate's
// shims reach the socket host-side), and the launch spec only records where the socket is.
import { describe, expect, it } from 'vitest';
import { applyEgress, planEgress } from '../../../src/network/prepare-egress.ts';
import type { LaunchSpec } from '../../../src/sandboxes/types.ts';

const spec = (): LaunchSpec => ({
  executable: '/usr/bin/node',
  args: ['/srv/pkg/server.js'],
  env: {},
  roots: [],
  readOnlyPaths: ['/srv/pkg'],
  runtimePaths: [],
  cwd: '/tmp',
  limits: {},
  network: false,
});

describe('egress for the isolate backend', () => {
  it('accepts an allowlist: a socket path, no relay in front of the server', async () => {
    const egress = planEgress(false, ['api.example.test'], 'isolate', []);
    expect(egress.mode.kind).toBe('proxy');
    expect(egress.socketPath).toMatch(/mcp-warden-net-[0-9a-f]+\/proxy\.sock$/);
    expect(egress.relay).toBe(false);
    const launch = spec();
    await applyEgress(launch, egress, '/nonexistent-cache');
    expect(launch.executable).toBe('/usr/bin/node');
    expect(launch.args).toEqual(['/srv/pkg/server.js']);
    expect(launch.network).toBe(false);
    expect(launch.egress).toEqual({
      socketDir: egress.socketPath!.slice(0, -'/proxy.sock'.length),
      socketPath: egress.socketPath,
    });
  });

  it('keeps the relay for the other backends, and no network without an allowlist', () => {
    expect(planEgress(false, ['api.example.test'], 'bwrap', []).relay).toBe(true);
    expect(planEgress(false, [], 'isolate', [])).toEqual({ mode: { kind: 'none' } });
  });
});
