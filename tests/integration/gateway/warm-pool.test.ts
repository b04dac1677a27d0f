import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectNoProcesses, findProcesses } from '../../helpers/processes.ts';
import { BWRAP_AVAILABLE } from '../../helpers/warden.ts';
import {
  CONFORMANCE_SERVER,
  connectClient,
  gatewayPerTest,
  metricValue,
  startGateway,
} from './gateway-helpers.ts';

const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';

/** Wait until `count()` has held the same value for 300 ms; returns it. */
async function settled(count: () => number, withinMs = 15_000): Promise<number> {
  const deadline = Date.now() + withinMs;
  let last = count();
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = count();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (now > 0 && Date.now() - since >= 300) {
      return now;
    }
  }
  return last;
}

describe('gateway warm pool', () => {
  it('launches sandboxes before any client, serves sessions from them, refills, and leaves none at shutdown', async () => {
    gatewayPerTest();
    const marker = `warmtag-${randomBytes(4).toString('hex')}`;
    const gw = await startGateway({
      servers: { conf: { profile: PROFILE, command: ['node', CONFORMANCE_SERVER, marker], warm: 2 } },
    });
    // Two idle sandboxes exist although no client has connected.
    const idle = await settled(() => findProcesses(marker).length);
    expect(idle).toBeGreaterThanOrEqual(2);
    const perSandbox = idle / 2;
    const warmPids = new Set(findProcesses(marker));
    const metrics = await (await fetch(`${gw.base}/metrics`)).text();
    expect(metricValue(metrics, 'mcp_warden_warm_sandboxes_idle', 'server="conf"')).toBe(2);

    const { client, transport } = await connectClient(gw.url('conf'));
    const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'This is a simple text response for testing.' }]);
    // One sandbox now serves the session and the pool is back to two idle ones.
    expect(await settled(() => findProcesses(marker).length)).toBe(3 * perSandbox);

    await transport.terminateSession();
    await client.close();
    // The session ran in one of the warm sandboxes (now gone with it), not in a fresh launch: of the
    // two warm ones only one is left.
    expect(await settled(() => findProcesses(marker).length)).toBe(2 * perSandbox);
    expect(findProcesses(marker).filter((pid) => warmPids.has(pid))).toHaveLength(perSandbox);
    expect(await gw.stop()).toEqual({ code: 0, signal: null });
    await expectNoProcesses(marker, 3000);
  });
});
