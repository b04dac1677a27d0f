// A raw newline-JSON session over a child's stdio, for what the SDK client would distort: pipelined
// throughput and multi-megabyte results. Responses are matched by id.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Launch } from './modes.ts';

export interface RawSession {
  child: ChildProcess;
  /** Send one request; resolves with the raw response line's length in bytes. */
  request(method: string, params: object): Promise<number>;
  /** Send many requests at once (no waiting in between); resolves when every answer arrived. */
  pipeline(count: number, method: string, params: object): Promise<void>;
  /** Peak resident set of the spawned process so far (VmHWM), in bytes. */
  peakRss(): number;
  /** Current resident set (VmRSS), in bytes. */
  rss(): number;
  close(): Promise<void>;
}

export async function openRaw(launch: Launch): Promise<RawSession> {
  const child = spawn(launch.command, launch.args, { env: launch.env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr?.resume();
  let nextId = 1;
  const waiting = new Map<number, (bytes: number) => void>();
  let pending: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      const line = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
      pending = [];
      start = nl + 1;
      // The id is near one end of every response: the start in the warden's own, the end in what the
      // SDK's servers write ({"result":…,"jsonrpc":"2.0","id":1}). Multi-megabyte lines are not scanned.
      const match =
        /"id":(\d+)/.exec(line.subarray(0, 200).toString()) ??
        /"id":(\d+)\}$/.exec(line.subarray(Math.max(0, line.length - 200)).toString());
      const id = match ? Number(match[1]) : -1;
      waiting.get(id)?.(line.length);
      waiting.delete(id);
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const send = (method: string, params: object): Promise<number> => {
    const id = nextId++;
    const done = new Promise<number>((resolve, reject) => {
      waiting.set(id, resolve);
      void exited.then(() => reject(new Error(`the process exited before answering ${method}`)));
    });
    child.stdin?.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return done;
  };
  await send('initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'bench', version: '1' },
  });
  child.stdin?.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  await send('tools/list', {});
  const status = (field: string): number => {
    try {
      const text = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  };
  return {
    child,
    request: send,
    pipeline: async (count, method, params) => {
      const all: Promise<number>[] = [];
      for (let i = 0; i < count; i++) all.push(send(method, params));
      await Promise.all(all);
    },
    peakRss: () => status('VmHWM'),
    rss: () => status('VmRSS'),
    close: async () => {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
