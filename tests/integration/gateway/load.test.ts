import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectNoProcesses, findProcesses } from '../../helpers/processes.ts';
import { BWRAP_AVAILABLE } from '../../helpers/warden.ts';
import { CONFORMANCE_SERVER, gatewayPerTest, metricValue, startGateway } from './gateway-helpers.ts';
import { quantile, runLoad } from './load-driver.ts';

const SESSIONS = 50;
const CALLS = 4;

describe.runIf(BWRAP_AVAILABLE)('gateway load on bwrap (loopback)', () => {
  it(`${SESSIONS} concurrent sessions, ${CALLS} calls each: no errors, no leaked sandbox`, async () => {
    gatewayPerTest();
    const marker = `leaktag-${randomBytes(4).toString('hex')}`;
    const gw = await startGateway({
      servers: { conf: { profile: 'bwrap', command: ['node', CONFORMANCE_SERVER, marker] } },
      limits: { maxSessions: SESSIONS, ratePerMinute: 100_000 },
    });
    const result = await runLoad(gw.url('conf'), SESSIONS, CALLS);
    process.stderr.write(
      `gateway load: ${result.sessions} sessions, ${result.calls} calls in ${Math.round(result.wallMs)} ms; ` +
        `call p50 ${quantile(result.latencies, 0.5).toFixed(1)} ms, p99 ${quantile(result.latencies, 0.99).toFixed(1)} ms; ` +
        `connect p50 ${quantile(result.connects, 0.5).toFixed(0)} ms, p99 ${quantile(result.connects, 0.99).toFixed(0)} ms\n`,
    );
    expect(result.errors).toEqual([]);
    expect(result.calls).toBe(SESSIONS * CALLS);
    const metrics = await (await fetch(`${gw.base}/metrics`)).text();
    expect(metricValue(metrics, 'mcp_warden_sessions_total')).toBe(SESSIONS);
    expect(metricValue(metrics, 'mcp_warden_sandbox_starts_total')).toBe(SESSIONS);
    // Every session was DELETEd: its sandbox is gone while the gateway still runs.
    await expectNoProcesses(marker, 10_000);
    expect(metricValue(metrics, 'mcp_warden_verdicts_total')).toBe(0);
    expect(await gw.stop()).toEqual({ code: 0, signal: null });
    expect(findProcesses(marker)).toEqual([]);
    // Regression: each session piped its server's stderr into the one process.stderr, and past ten
    // Node printed a listener-leak warning that operators read as a leak.
    expect(gw.stderr()).not.toContain('MaxListenersExceededWarning');
  }, 120_000);
});
