// `mcp-warden run` with a client that stops reading its stdout (issue 17 item 1): the warden must
// not buffer for it. While its stdout is full it stops reading the server's stdout (the server blocks
// on its pipe) and, past a small bound of its own answers, the client's stdin; client → server
// messages still flow meanwhile, and once the client reads again every message arrives, in order.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FLOOD_BYTES,
  FLOOD_SERVER,
  FloodReader,
  MiB,
  processState,
  rssBytes,
  sleep,
  watchStall,
} from '../helpers/flood.ts';
import { expectNoProcesses, findProcesses, killProcesses } from '../helpers/processes.ts';
import { PROJECT_ROOT, WARDEN_ENTRY } from '../helpers/warden.ts';

/** The most the warden's resident memory may grow while its client does not read. */
const RSS_GROWTH_BOUND = 150 * MiB;
const PAD = 1000;

type Child = ChildProcessByStdio<Writable, Readable, Readable>;
const started: Array<{ child: Child; marker: string }> = [];
afterEach(async () => {
  for (const { child, marker } of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    killProcesses(marker);
  }
});

function startRun(serverArgs: string[] = []): {
  child: Child;
  reader: FloodReader;
  stderr: () => string;
  marker: string;
} {
  const marker = `leaktag-${randomBytes(4).toString('hex')}`;
  const child = spawn(
    process.execPath,
    [WARDEN_ENTRY, 'run', '--profile', 'none', '--', 'node', FLOOD_SERVER, marker, ...serverArgs],
    {
      cwd: PROJECT_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' },
    },
  );
  started.push({ child, marker });
  child.stdin.on('error', () => undefined);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    if (stderr.length > 1_000_000) stderr = stderr.slice(-200_000);
  });
  const reader = new FloodReader(child.stdout, { sse: false, padSize: PAD });
  return { child, reader, stderr: () => stderr, marker };
}

const send = (child: Child, message: object): boolean => child.stdin.write(`${JSON.stringify(message)}\n`);

async function handshake(child: Child, reader: FloodReader): Promise<void> {
  send(child, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bp', version: '1' } },
  });
  await reader.until(() => reader.others.some((m) => m.id === 1), 15_000, 'initialize answer');
  send(child, { jsonrpc: '2.0', method: 'notifications/initialized' });
}

/** The flood server's own pid (a child of the warden: `run --profile none` spawns it directly). */
function serverPid(marker: string, wardenPid: number): number {
  const pids = findProcesses(marker).filter((pid) => pid !== wardenPid);
  expect(pids.length, 'the flood server runs').toBe(1);
  return pids[0] as number;
}

describe('run: a client that stops reading stdout', () => {
  it('blocks the flooding server instead of buffering, lets client messages through, and loses nothing', async () => {
    const { child, reader, stderr, marker } = startRun();
    await handshake(child, reader);
    const wardenPid = child.pid as number;
    const server = serverPid(marker, wardenPid);
    const before = rssBytes(wardenPid);

    send(child, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'flood', arguments: { bytes: FLOOD_BYTES, size: PAD } },
    });
    // Read a little of the flood, then stop reading.
    await reader.until(() => reader.bytes > 2 * MiB, 10_000, '2 MiB of flood');
    reader.pause();

    // The server is blocked on its full pipe: its progress stops, far below what it wanted to send.
    const { peak, stalled } = await watchStall({
      pid: wardenPid,
      stderr,
      before,
      bound: RSS_GROWTH_BOUND,
      what: 'run, stdout not read',
    });
    expect(['S', 'D'], 'the server is alive and waiting (blocked), not dead').toContain(processState(server));

    // Client → server still flows while the warden's stdout is full: the cancel reaches the server.
    send(child, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2 } });
    send(child, { jsonrpc: '2.0', id: 3, method: 'ping' });
    await expect
      .poll(() => stderr().includes('flood-server: cancel received for 2'), { timeout: 5000 })
      .toBe(true);

    // Reading again: every notification the server sent arrives whole and in order, then the answers.
    reader.resume();
    await reader.until(() => reader.others.some((m) => m.id === 3), 20_000, 'ping answer');
    expect(reader.problems).toEqual([]);
    const call = reader.others.find((m) => m.id === 2) as { result: { content: Array<{ text: string }> } };
    expect(call.result.content[0]?.text).toBe(`sent ${reader.seq} notifications`);
    expect(reader.others.map((m) => m.id)).toEqual([1, 2, 3]);
    console.log(
      `run flood: server blocked at ${Math.round(stalled / MiB)} MiB sent; warden RSS growth peak ${Math.round(peak / MiB)} MiB; ${reader.seq} notifications delivered in order`,
    );

    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
    await expectNoProcesses(marker, 3000);
  }, 30_000);

  it("stops reading the client's requests once its own unread answers pile up, and answers them all later", async () => {
    const { child, reader, marker } = startRun();
    await handshake(child, reader);
    const wardenPid = child.pid as number;
    const before = rssBytes(wardenPid);
    reader.pause();

    // Requests the policy denies: each is answered by the warden itself (-32001), never by the server.
    const method = `not/allowed/${'x'.repeat(88)}`;
    const line = (id: number): string => `${JSON.stringify({ jsonrpc: '2.0', id, method })}\n`;
    let next = 100;
    let peak = 0;
    let refusedFor = 0;
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline) {
      let batch = '';
      for (let i = 0; i < 500; i++) batch += line(next++);
      if (!child.stdin.write(batch)) {
        // Our own pipe to the warden is full: wait for it to read, briefly.
        const drained = await Promise.race([
          new Promise<boolean>((resolve) => child.stdin.once('drain', () => resolve(true))),
          sleep(500).then(() => false),
        ]);
        if (!drained) refusedFor += 500;
        if (refusedFor >= 2000) break;
      } else refusedFor = 0;
      peak = Math.max(peak, rssBytes(wardenPid) - before);
      if (peak > 2 * RSS_GROWTH_BOUND) break;
    }
    peak = Math.max(peak, rssBytes(wardenPid) - before);
    const sent = next - 100;
    console.log(
      `denied-request flood: ${sent} requests written, refused for ${refusedFor}, RSS growth peak ${Math.round(peak / MiB)} MiB`,
    );
    expect(peak, `warden RSS grew by ${Math.round(peak / MiB)} MiB for ${sent} unread answers`).toBeLessThan(
      RSS_GROWTH_BOUND,
    );
    expect(refusedFor, 'the warden stopped reading the client').toBeGreaterThanOrEqual(2000);

    // Reading again: every request is answered, in order, and the session goes on.
    reader.resume();
    send(child, { jsonrpc: '2.0', id: 3, method: 'ping' });
    await reader.until(() => reader.others.some((m) => m.id === 3), 20_000, 'ping answer');
    const answers = reader.others.filter((m) => typeof m.id === 'number' && m.id >= 100);
    expect(answers.length).toBe(sent);
    expect(answers.every((m, i) => m.id === 100 + i)).toBe(true);
    expect((answers[0]?.error as { data?: { rule?: string } }).data?.rule).toBe('method.not-allowed');
    console.log(
      `run denied-request flood: warden stopped reading after ${sent} requests; RSS growth peak ${Math.round(peak / MiB)} MiB`,
    );

    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
    await expectNoProcesses(marker, 3000);
  }, 30_000);
});
