// The gateway with a client that stops reading (issue 17 item 1): a server trying to push 1 GiB of
// notifications must not grow the gateway. While a session's response stream is full the gateway
// stops reading the sandbox's stdout (the server blocks on its pipe); what waits for the client is
// bounded per session (limits.clientQueueBytes, past it the session ends with client.not-reading);
// DELETE or the end of the session releases everything, the sandbox included.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FLOOD_BYTES,
  FLOOD_SERVER,
  FloodReader,
  MiB,
  processState,
  rssBytes,
  watchStall,
} from '../../helpers/flood.ts';
import { commandLine, expectNoProcesses, findProcesses } from '../../helpers/processes.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { BWRAP_AVAILABLE } from '../../helpers/warden.ts';
import { type StartedGateway, gatewayPerTest, metricValue, startGateway } from './gateway-helpers.ts';

const PROFILE = BWRAP_AVAILABLE ? 'bwrap' : 'none';
/** The most the gateway's resident memory may grow while one session's client does not read. */
const RSS_GROWTH_BOUND = 150 * MiB;
const PAD = 1000;
const PROTOCOL_VERSION = '2025-06-18';

interface Opened {
  url: string;
  headers: Record<string, string>;
}

/** One HTTP request with node:http (so a test decides when the response body is read). */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: {
          accept: 'application/json, text/event-stream',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
      },
      resolve,
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) text += (chunk as Buffer).toString('utf8');
  return text;
}

/** initialize by hand; notifications/initialized is left to the test (it may start the flood). */
async function open(gw: StartedGateway): Promise<Opened> {
  const url = gw.url('flood');
  const res = await send(
    url,
    'POST',
    {},
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'bp', version: '1' },
      },
    },
  );
  const body = await readAll(res);
  const id = res.headers['mcp-session-id'];
  if (res.statusCode !== 200 || typeof id !== 'string')
    throw new Error(`initialize: ${res.statusCode} ${body}`);
  return { url, headers: { 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL_VERSION } };
}

async function notify(session: Opened, method: string, params?: object): Promise<void> {
  const res = await send(session.url, 'POST', session.headers, {
    jsonrpc: '2.0',
    method,
    ...(params ? { params } : {}),
  });
  await readAll(res);
  expect(res.statusCode, `${method} accepted`).toBe(202);
}

function floodServer(marker: string, args: string[] = []): Record<string, unknown> {
  return { profile: PROFILE, command: ['node', FLOOD_SERVER, marker, ...args] };
}

/** The flood server process itself (not bwrap around it), by its command line. */
function serverPid(marker: string): number {
  const pids = findProcesses(marker).filter((pid) => commandLine(pid).split(' ')[1] === FLOOD_SERVER);
  expect(pids.length, 'the flood server runs').toBe(1);
  return pids[0] as number;
}

/**
 * The stream the client stopped reading was closed by the gateway, not kept: reading again, the client
 * gets what the kernel's socket buffers held, then the end (not the rest of the flood).
 */
async function closedByGateway(reader: FloodReader): Promise<void> {
  reader.resume();
  await reader
    .until(() => false, 10_000, 'the end of the stream')
    .catch((error: unknown) => {
      if (!reader.ended) throw error;
    });
  expect(reader.ended).toBe(true);
  expect(reader.bytes).toBeLessThan(64 * MiB);
}

function stall(gw: StartedGateway, before: number, what: string): Parameters<typeof watchStall>[0] {
  return { pid: gw.child.pid as number, stderr: () => gw.stderr(), before, bound: RSS_GROWTH_BOUND, what };
}

async function metrics(gw: StartedGateway): Promise<string> {
  return readAll(await send(`${gw.base}/metrics`, 'GET', {}));
}

describe(`gateway back-pressure on ${PROFILE}`, () => {
  it('blocks the server while a tool call’s response is not read, passes client messages, loses nothing', async () => {
    gatewayPerTest();
    const marker = `leaktag-${randomBytes(4).toString('hex')}`;
    const gw = await startGateway({ servers: { flood: floodServer(marker) } });
    const session = await open(gw);
    await notify(session, 'notifications/initialized');
    const server = serverPid(marker);
    const before = rssBytes(gw.child.pid as number);

    const call = await send(session.url, 'POST', session.headers, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'flood', arguments: { bytes: FLOOD_BYTES, size: PAD } },
    });
    expect(call.headers['content-type']).toContain('text/event-stream');
    const reader = new FloodReader(call, { sse: true, padSize: PAD });
    await reader.until(() => reader.bytes > 2 * MiB, 15_000, '2 MiB of flood');
    reader.pause();

    const { peak, stalled } = await watchStall(stall(gw, before, 'gateway, POST stream not read'));
    expect(['S', 'D'], 'the server is alive and waiting (blocked), not dead').toContain(processState(server));

    // Client → server still flows: the cancel reaches the server while its output is blocked.
    await notify(session, 'notifications/cancelled', { requestId: 2 });
    await expect
      .poll(() => gw.stderr().includes('flood-server: cancel received for 2'), { timeout: 5000 })
      .toBe(true);

    // Reading again: every notification arrives whole and in order, then the call's answer.
    reader.resume();
    await reader.until(() => reader.others.some((m) => m.id === 2), 20_000, 'the tool call answer');
    expect(reader.problems).toEqual([]);
    const answer = reader.others.find((m) => m.id === 2) as { result: { content: Array<{ text: string }> } };
    expect(answer.result.content[0]?.text).toBe(`sent ${reader.seq} notifications`);
    console.log(
      `gateway POST flood: server blocked at ${Math.round(stalled / MiB)} MiB; gateway RSS growth peak ${Math.round(peak / MiB)} MiB; ${reader.seq} notifications in order`,
    );

    const deleted = await send(session.url, 'DELETE', session.headers);
    await readAll(deleted);
    expect(deleted.statusCode).toBe(200);
    await expectNoProcesses(marker, 5000);
  }, 30_000);

  it('blocks the server while the GET stream is not read; DELETE ends it all and releases the stream', async () => {
    gatewayPerTest();
    const marker = `leaktag-${randomBytes(4).toString('hex')}`;
    const gw = await startGateway({
      servers: { flood: floodServer(marker, ['--on-initialized', String(FLOOD_BYTES)]) },
    });
    const session = await open(gw);
    const before = rssBytes(gw.child.pid as number);
    // The standalone stream first: the flood starts unprompted after notifications/initialized, with
    // no request in flight, so it all goes to the GET stream.
    const stream = await send(session.url, 'GET', { ...session.headers, accept: 'text/event-stream' });
    expect(stream.statusCode).toBe(200);
    const reader = new FloodReader(stream, { sse: true, padSize: PAD });
    await notify(session, 'notifications/initialized');
    await reader.until(() => reader.bytes > 2 * MiB, 15_000, '2 MiB of flood');
    reader.pause();
    const server = serverPid(marker);

    await watchStall(stall(gw, before, 'gateway, GET stream not read'));
    expect(['S', 'D'], 'the server is alive and waiting (blocked), not dead').toContain(processState(server));

    // DELETE while the stream is still full: the sandbox goes, the stream is closed (not left holding
    // what it buffered), the session is gone.
    const deleted = await send(session.url, 'DELETE', session.headers);
    await readAll(deleted);
    expect(deleted.statusCode).toBe(200);
    await expectNoProcesses(marker, 5000);
    await closedByGateway(reader);
    await expect
      .poll(async () => metricValue(await metrics(gw), 'mcp_warden_sessions_active'), { timeout: 5000 })
      .toBe(0);
    expect(reader.problems).toEqual([]);
  }, 30_000);

  it('ends the session with client.not-reading once more than limits.clientQueueBytes wait for the client', async () => {
    gatewayPerTest();
    const marker = `leaktag-${randomBytes(4).toString('hex')}`;
    const auditDir = tmpRoot('gateway-bp-audit');
    const gw = await startGateway({
      auditDir,
      limits: { clientQueueBytes: 4096 },
      servers: { flood: floodServer(marker) },
    });
    const session = await open(gw);
    await notify(session, 'notifications/initialized');
    const call = await send(session.url, 'POST', session.headers, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'flood', arguments: { bytes: FLOOD_BYTES, size: PAD } },
    });
    const reader = new FloodReader(call, { sse: true, padSize: PAD });
    await reader.until(() => reader.bytes > 256 * 1024, 15_000, 'some flood');
    reader.pause();

    // The sandbox is stopped, the session ended with the rule, one audit verdict says why.
    await expectNoProcesses(marker, 10_000);
    await expect
      .poll(
        async () =>
          metricValue(await metrics(gw), 'mcp_warden_sessions_ended_total', 'reason="client-not-reading"'),
        { timeout: 5000 },
      )
      .toBe(1);
    const text = await metrics(gw);
    expect(metricValue(text, 'mcp_warden_verdicts_total', 'rule="client.not-reading"')).toBe(1);
    expect(metricValue(text, 'mcp_warden_sessions_active')).toBe(0);
    const [file] = readdirSync(auditDir).filter((f) => f.endsWith('.jsonl'));
    const events = readFileSync(path.join(auditDir, file as string), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const verdict = events.find((e) => e.event === 'verdict');
    expect(verdict).toMatchObject({ rule: 'client.not-reading', action: 'kill' });
    expect(String(verdict?.reason)).toMatch(/not reading.*limits\.clientQueueBytes 4096/);
    expect(events.at(-1)).toMatchObject({ event: 'session.end' });
    await closedByGateway(reader);
    // The session is gone: its id is refused.
    const after = await send(session.url, 'POST', session.headers, { jsonrpc: '2.0', id: 9, method: 'ping' });
    await readAll(after);
    expect(after.statusCode).toBe(404);
  }, 30_000);
});
