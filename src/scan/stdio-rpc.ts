import { type ChildProcess, spawn } from 'node:child_process';
import { WardenError } from '../errors.ts';

/** A minimal newline JSON-RPC client over a child's stdio: raw results, exactly as the wire carried them. */
export interface StdioRpc {
  request(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  notify(method: string, params?: Record<string, unknown>): void;
  /** Everything the child wrote to stderr (capped). */
  stderr(): string;
  close(): Promise<void>;
}

/**
 * Start `command args` and talk JSON-RPC to it. Results are JSON.parse of the line, so `scan` hashes the
 * very objects the warden's policy sees at run time (no SDK schema stripping unknown keys).
 */
export function startStdioRpc(command: string, args: readonly string[], timeoutMs: number): StdioRpc {
  const child: ChildProcess = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderrText = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderrText.length < 100_000) stderrText += chunk.toString('utf8');
  });
  child.stdin?.on('error', () => undefined);
  const waiting = new Map<
    number,
    { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  let exited: string | undefined;
  const failAll = (why: string): void => {
    exited = why;
    for (const { reject } of waiting.values()) reject(new WardenError('launch-failed', why));
    waiting.clear();
  };
  child.on('error', (error) => failAll(`could not start the server: ${error.message}`));
  child.on('exit', (code, signal) => failAll(`the server exited (${signal ?? `code ${code}`})`));
  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      let message: { id?: unknown; result?: unknown; error?: { message?: string } };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        continue;
      }
      if (typeof message.id !== 'number') continue;
      const entry = waiting.get(message.id);
      if (!entry) continue;
      waiting.delete(message.id);
      if (message.error) entry.reject(new Error(message.error.message ?? 'error'));
      else entry.resolve((message.result ?? {}) as Record<string, unknown>);
    }
  });
  let nextId = 1;
  const write = (message: object): void => void child.stdin?.write(`${JSON.stringify(message)}\n`);
  return {
    request(method, params) {
      if (exited) return Promise.reject(new WardenError('launch-failed', exited));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new WardenError('launch-failed', `no answer to ${method} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, {
          resolve: (r) => (clearTimeout(timer), resolve(r)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        write({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
      });
    },
    notify(method, params) {
      write({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
    },
    stderr: () => stderrText,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGTERM'), 3000);
      await done;
      clearTimeout(timer);
    },
  };
}
