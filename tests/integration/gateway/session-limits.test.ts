import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { commandLine, expectNoProcesses, findProcesses } from '../../helpers/processes.ts';
import { BWRAP_AVAILABLE } from '../../helpers/warden.ts';
import {
  CONFORMANCE_SERVER,
  connectClient,
  gatewayPerTest,
  metricValue,
  startGateway,
} from './gateway-helpers.ts';
import { initializeMessage, openGetStream, rawDelete, rawOpen, rawPost } from './raw-session.ts';

const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A server whose sandbox processes carry a unique marker on their command line. */
function server(): { config: Record<string, unknown>; marker: string } {
  const marker = `leaktag-${randomBytes(4).toString('hex')}`;
  return { marker, config: { profile: PROFILE, command: ['node', CONFORMANCE_SERVER, marker] } };
}

/** Servers of `marker` running now: one per live sandbox (bwrap's own processes carry it too, not counted). */
function sandboxes(marker: string): number {
  return findProcesses(marker).filter((pid) => path.basename(commandLine(pid).split(' ')[0] ?? '') === 'node')
    .length;
}

async function readyz(base: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function metrics(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

describe(`gateway session limits on ${PROFILE}`, () => {
  it('caps sessions per credential: one key fills its quota with 429, another still gets sessions', async () => {
    gatewayPerTest();
    const greedy = `mwk_${randomBytes(24).toString('hex')}`;
    const other = `mwk_${randomBytes(24).toString('hex')}`;
    const { config } = server();
    const gw = await startGateway({
      auth: {
        apiKeys: [
          { id: 'greedy', sha256: sha256(greedy) },
          { id: 'other', sha256: sha256(other) },
        ],
      },
      servers: { conf: config },
      limits: { maxSessions: 10, maxSessionsPerPrincipal: 2, ratePerMinute: 10_000 },
    });
    const asGreedy = { authorization: `Bearer ${greedy}` };
    const first = await rawOpen(gw.url('conf'), asGreedy);
    await rawOpen(gw.url('conf'), asGreedy);
    const refused = await rawPost(gw.url('conf'), initializeMessage(), asGreedy);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    const error = (JSON.parse(refused.body) as { error: { code: number; message: string } }).error;
    expect(error.code).toBe(-32000);
    // What limit, whose, and how to raise it.
    expect(error.message).toContain('2 of limits.maxSessionsPerPrincipal 2');
    expect(error.message).toContain('key:greedy');
    expect(error.message).toContain('raise limits.maxSessionsPerPrincipal');

    // The other credential is not affected, far below the global limit.
    const { client, transport } = await connectClient(gw.url('conf'), { authorization: `Bearer ${other}` });
    await client.ping();
    await transport.terminateSession();
    await client.close();

    // Ending one of its sessions frees a slot for the greedy key again (once its sandbox is gone).
    expect(await rawDelete(first)).toBe(200);
    let again = await rawPost(gw.url('conf'), initializeMessage(), asGreedy);
    for (let i = 0; i < 60 && again.status === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = await rawPost(gw.url('conf'), initializeMessage(), asGreedy);
    }
    expect(again.status).toBe(200);
  }, 30_000);

  it('ends sessions whose clients initialized and vanished after limits.unusedSessionTtlMs: no sandbox left', async () => {
    gatewayPerTest();
    const { config, marker } = server();
    const TTL = 2500;
    const gw = await startGateway({
      servers: { conf: config },
      // The idle timeout is far away: only the unused-session TTL can end these.
      limits: { maxSessions: 10, unusedSessionTtlMs: TTL, idleTimeoutMs: 120_000, ratePerMinute: 10_000 },
    });
    // A client that used its session (a call after the handshake) keeps it past the TTL.
    const user = await connectClient(gw.url('conf'));
    await user.client.listTools();
    expect(sandboxes(marker)).toBe(1);
    // Two vanish right after initialize (no notifications/initialized), two after the whole handshake,
    // one after its GET stream was opened and dropped (the SDK's connect, then the process died).
    await rawOpen(gw.url('conf'), {}, false);
    await rawOpen(gw.url('conf'), {}, false);
    await rawOpen(gw.url('conf'));
    await rawOpen(gw.url('conf'));
    const vanishing = await connectClient(gw.url('conf'));
    // (Not all six need be alive here: on a slow machine the first may already have reached the TTL.)
    expect(metricValue(await metrics(gw.base), 'mcp_warden_sandbox_starts_total')).toBe(6);
    expect(sandboxes(marker)).toBeGreaterThanOrEqual(2);
    // Closing the SDK transport aborts its GET stream and sends no DELETE: a vanished client.
    await vanishing.client.close();
    const vanishedAt = Date.now();

    await new Promise((resolve) => setTimeout(resolve, TTL));
    // Only the used session's sandbox is left.
    let left = sandboxes(marker);
    for (let i = 0; i < 60 && left > 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = sandboxes(marker);
    }
    const endedWithin = Date.now() - vanishedAt;
    expect(left, 'servers left after the unused-session TTL').toBe(1);
    expect(endedWithin).toBeLessThan(TTL + 3000);
    // A sandbox gone is a session being ended: its metrics follow once the ending has run its course.
    let text = await metrics(gw.base);
    for (
      let i = 0;
      i < 40 && metricValue(text, 'mcp_warden_sessions_ended_total', 'reason="unused"') < 5;
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      text = await metrics(gw.base);
    }
    const ended = text.split('\n').filter((line) => line.startsWith('mcp_warden_sessions_ended_total'));
    expect(metricValue(text, 'mcp_warden_sessions_ended_total', 'reason="unused"'), ended.join('\n')).toBe(5);
    expect(metricValue(text, 'mcp_warden_sessions_active')).toBe(1);
    await user.client.ping();
    await user.transport.terminateSession();
    await user.client.close();
    await expectNoProcesses(marker, 5000);
  }, 30_000);

  it('keeps an unused session while its GET stream is open', async () => {
    gatewayPerTest();
    const { config, marker } = server();
    const gw = await startGateway({
      servers: { conf: config },
      limits: { unusedSessionTtlMs: 500, idleTimeoutMs: 120_000 },
    });
    const session = await rawOpen(gw.url('conf'));
    const stream = await openGetStream(session);
    expect(stream.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(metricValue(await metrics(gw.base), 'mcp_warden_sessions_active')).toBe(1);
    expect(sandboxes(marker)).toBeGreaterThanOrEqual(1);
    expect(await rawDelete(session)).toBe(200);
    await stream.ended;
    await expectNoProcesses(marker, 5000);
  }, 30_000);

  it('/readyz answers 503 at maxSessions and 200 again below it', async () => {
    gatewayPerTest();
    const { config } = server();
    const gw = await startGateway({
      servers: { conf: config },
      limits: { maxSessions: 2, ratePerMinute: 10_000 },
    });
    expect((await readyz(gw.base)).status).toBe(200);
    const one = await rawOpen(gw.url('conf'));
    expect((await readyz(gw.base)).status).toBe(200);
    await rawOpen(gw.url('conf'));
    const full = await readyz(gw.base);
    expect(full.status).toBe(503);
    expect(full.body).toMatchObject({ status: 'at-capacity', sessions: 2, maxSessions: 2 });
    expect(String((full.body.reasons as string[])[0])).toContain('limits.maxSessions');
    // A new session is refused, and says which limit.
    const refused = await rawPost(gw.url('conf'), initializeMessage());
    expect(refused.status).toBe(503);
    expect(refused.body).toContain('limits.maxSessions');
    expect(await rawDelete(one)).toBe(200);
    let again = await readyz(gw.base);
    for (let i = 0; i < 40 && again.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = await readyz(gw.base);
    }
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'ready', sessions: 1 });
  }, 30_000);
});
