import { describe, expect, it } from 'vitest';
import { withEgressRelay, withEgressSocket } from '../../../src/network/egress-launch.ts';
import type { LaunchSpec } from '../../../src/sandboxes/types.ts';

const base = {
  executable: '/usr/bin/node',
  args: ['/srv/server.js'],
  readOnlyPaths: [],
  readOnlyWhy: {},
} as unknown as LaunchSpec;

describe('withEgressSocket (a gateway session gets its own proxy socket)', () => {
  it('moves the relay argument and spec.egress to the new socket', () => {
    const relayed = withEgressRelay(base, {
      socketPath: '/tmp/a/proxy.sock',
      node: '/usr/bin/node',
      nodeFiles: ['/usr/bin/node'],
      relayEntry: '/w/relay-main.js',
    });
    const moved = withEgressSocket(relayed, '/tmp/b/proxy.sock');
    expect(moved.args).toContain('/tmp/b/proxy.sock');
    expect(moved.args).not.toContain('/tmp/a/proxy.sock');
    expect(moved.egress).toMatchObject({ socketDir: '/tmp/b', socketPath: '/tmp/b/proxy.sock' });
  });

  it('without a relay (isolate: host-side shims), only spec.egress moves', () => {
    const shimmed = { ...base, egress: { socketDir: '/tmp/a', socketPath: '/tmp/a/proxy.sock' } };
    const moved = withEgressSocket(shimmed, '/tmp/b/proxy.sock');
    expect(moved.args).toEqual(base.args);
    expect(moved.egress).toEqual({ socketDir: '/tmp/b', socketPath: '/tmp/b/proxy.sock' });
  });

  it('refuses a spec with no egress at all', () => {
    expect(() => withEgressSocket(base, '/tmp/b/proxy.sock')).toThrow(/no egress/);
  });
});
