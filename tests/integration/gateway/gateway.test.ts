import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
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

/** A server config whose sandbox processes carry a unique marker on their command line. */
function server(extra: Record<string, unknown> = {}): { config: Record<string, unknown>; marker: string } {
  const marker = `leaktag-${randomBytes(4).toString('hex')}`;
  return { marker, config: { profile: PROFILE, command: ['node', CONFORMANCE_SERVER, marker], ...extra } };
}

async function text(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

function forgedHost(url: string, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...MCP_HEADERS, host } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end(INITIALIZE);
  });
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe(`gateway on ${PROFILE}`, () => {
  it('serves one sandbox per session through the supervisor, counts it, and ends it on DELETE', async () => {
    gatewayPerTest();
    const { config, marker } = server();
    const gw = await startGateway({ servers: { conf: config } });
    const { client, transport } = await connectClient(gw.url('conf'));
    const { client: second } = await connectClient(gw.url('conf'));
    expect(findProcesses(marker).length).toBeGreaterThanOrEqual(2);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('test_simple_text');
    const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'This is a simple text response for testing.' }]);

    const metrics = (await text(`${gw.base}/metrics`)).body;
    expect(metricValue(metrics, 'mcp_warden_sessions_active', 'server="conf"')).toBe(2);
    expect(metricValue(metrics, 'mcp_warden_sandbox_starts_total', `backend="${PROFILE}"`)).toBe(2);
    expect(metricValue(metrics, 'mcp_warden_messages_total', 'direction="client",method="tools/call"')).toBe(
      1,
    );
    expect(
      metricValue(metrics, 'mcp_warden_messages_total', 'direction="server",method="response"'),
    ).toBeGreaterThan(2);
    expect(metricValue(metrics, 'mcp_warden_request_duration_seconds_count', 'method="tools/call"')).toBe(1);

    await transport.terminateSession();
    await client.close();
    // The DELETEd session's sandbox is gone; the other one still runs.
    let after = '';
    for (let i = 0; i < 40; i++) {
      after = (await text(`${gw.base}/metrics`)).body;
      if (metricValue(after, 'mcp_warden_sessions_ended_total') > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(findProcesses(marker).length).toBeGreaterThanOrEqual(1);
    expect(metricValue(after, 'mcp_warden_sessions_active')).toBe(1);
    expect(metricValue(after, 'mcp_warden_sessions_ended_total', 'reason="delete"')).toBe(1);
    await second.ping();
    expect(await gw.stop()).toEqual({ code: 0, signal: null });
    await expectNoProcesses(marker, 3000);
  });

  it('applies the policy: a client breach is denied with -32001, a server breach kills the sandbox', async () => {
    gatewayPerTest();
    const { config, marker } = server();
    const gw = await startGateway({ servers: { conf: config } });
    const { client, transport } = await connectClient(gw.url('conf'));
    await expect(
      client.request({ method: 'debug/dump', params: {} }, CallToolResultSchema),
    ).rejects.toMatchObject({
      code: -32001,
    });
    // The default policy forbids server-initiated sampling: the server is killed mid-call.
    const call = client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } });
    await expect(call).rejects.toMatchObject({ code: -32002 });
    await expectNoProcesses(marker, 3000);
    // The session's bookkeeping (transport closed, counters) follows the sandbox's exit by a moment.
    let metrics = '';
    for (let i = 0; i < 40; i++) {
      metrics = (await text(`${gw.base}/metrics`)).body;
      if (metricValue(metrics, 'mcp_warden_sessions_ended_total') > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(metricValue(metrics, 'mcp_warden_verdicts_total', 'rule="method.not-allowed"')).toBe(1);
    expect(metricValue(metrics, 'mcp_warden_verdicts_total', 'rule="server.request-not-allowed"')).toBe(1);
    expect(metricValue(metrics, 'mcp_warden_sessions_ended_total', 'reason="breach"')).toBe(1);
    // The session is gone: its id is no longer accepted.
    const stale = await text(gw.url('conf'), {
      method: 'POST',
      headers: { ...MCP_HEADERS, 'mcp-session-id': transport.sessionId ?? '' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
    });
    expect(stale.status).toBe(404);
  });

  it('ends an idle session with its sandbox, and limits concurrent sessions', async () => {
    gatewayPerTest();
    const { config, marker } = server();
    const gw = await startGateway({
      servers: { conf: config },
      limits: { idleTimeoutMs: 600, maxSessions: 1 },
    });
    const { client } = await connectClient(gw.url('conf'));
    await client.ping();
    const full = await text(gw.url('conf'), { method: 'POST', headers: MCP_HEADERS, body: INITIALIZE });
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('5');
    await expectNoProcesses(marker, 4000);
    let metrics = '';
    for (let i = 0; i < 40; i++) {
      metrics = (await text(`${gw.base}/metrics`)).body;
      if (metricValue(metrics, 'mcp_warden_sessions_ended_total') > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(metricValue(metrics, 'mcp_warden_sessions_ended_total', 'reason="idle"')).toBe(1);
    // The slot is free again.
    const { client: again } = await connectClient(gw.url('conf'));
    await again.ping();
  });

  it('refuses foreign Host and Origin headers (DNS rebinding) and unknown paths', async () => {
    gatewayPerTest();
    const gw = await startGateway({ servers: { conf: server().config } });
    const origin = await text(gw.url('conf'), {
      method: 'POST',
      headers: { ...MCP_HEADERS, origin: 'http://evil.example' },
      body: INITIALIZE,
    });
    expect(origin.status).toBe(403);
    // fetch() always sends the real Host; node:http lets the test forge it.
    expect(await forgedHost(gw.url('conf'), 'evil.example')).toBe(403);
    const local = await text(gw.url('conf'), {
      method: 'POST',
      headers: { ...MCP_HEADERS, origin: gw.base },
      body: INITIALIZE,
    });
    expect(local.status).toBe(200);
    expect((await text(`${gw.base}/servers/nope/mcp`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await text(gw.url('conf'), { method: 'POST', headers: MCP_HEADERS, body: '[1]' })).status).toBe(
      400,
    );
  });

  it('answers /healthz, /readyz and /metrics', async () => {
    gatewayPerTest();
    const gw = await startGateway({ servers: { conf: server().config } });
    expect(await text(`${gw.base}/healthz`)).toMatchObject({ status: 200 });
    const ready = await text(`${gw.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'ready', sessions: 0 });
    const metrics = await text(`${gw.base}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.body).toContain('# TYPE mcp_warden_sessions_active gauge');
    expect(metrics.body).toContain('# TYPE mcp_warden_request_duration_seconds histogram');
  });

  it('drains on SIGTERM: in-flight calls finish, new connections are refused, sandboxes stop, exit 0', async () => {
    gatewayPerTest();
    const { config, marker } = server();
    const gw = await startGateway({ servers: { conf: config }, limits: { shutdownGraceMs: 5000 } });
    const { client } = await connectClient(gw.url('conf'));
    const slow = client.callTool({ name: 'gateway_test_sleep', arguments: { ms: 800 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    gw.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(fetch(`${gw.base}/healthz`)).rejects.toThrow();
    expect((await slow).content).toEqual([{ type: 'text', text: 'slept 800 ms' }]);
    expect(await gw.exit).toEqual({ code: 0, signal: null });
    expect(gw.stderr()).toContain('gateway stopped');
    await expectNoProcesses(marker, 2000);
  });

  it('kills calls still running at the shutdown deadline', async () => {
    gatewayPerTest();
    const { config, marker } = server();
    const gw = await startGateway({ servers: { conf: config }, limits: { shutdownGraceMs: 300 } });
    const { client } = await connectClient(gw.url('conf'));
    const slow = client
      .callTool({ name: 'gateway_test_sleep', arguments: { ms: 20_000 } })
      .catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    gw.child.kill('SIGTERM');
    expect(await gw.exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(5000);
    await expectNoProcesses(marker, 2000);
    expect(await slow).toBeDefined();
  });

  it('exits 2 naming the config path on a config error', async () => {
    await expect(startGateway({ servers: { conf: { profile: 'none' } } })).rejects.toThrow(
      /exited with 2[\s\S]*servers\.conf\.command/,
    );
    await expect(
      startGateway({ listen: { host: '0.0.0.0', port: 0 }, servers: { conf: server().config } }),
    ).rejects.toThrow(/exited with 2[\s\S]*listen\.host: without an auth section/);
  });
});
