// Helpers for the back-pressure tests (tests/fixtures/flood-server.mjs): memory and state of a
// process from /proc, the flood server's progress, and a streaming reader that checks the flood's
// notifications arrive whole and in order without keeping them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { expect } from 'vitest';
import { PROJECT_ROOT } from './warden.ts';

export const FLOOD_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/flood-server.mjs');
export const MiB = 1024 * 1024;
/** What every flood test asks for: far more than any buffer on the way may hold. */
export const FLOOD_BYTES = 1024 * MiB;

/** Resident memory of `pid` in bytes (VmRSS from /proc/PID/status). */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** The process state letter of `pid` (R running, S sleeping, Z zombie...), or undefined when gone. */
export function processState(pid: number): string | undefined {
  try {
    return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Bytes the flood server reported sent so far (its last progress line on `stderr`), 0 before any. */
export function floodProgress(stderr: string): number {
  const all = [...stderr.matchAll(/flood-server: sent (\d+) bytes/g)];
  return all.length === 0 ? 0 : Number(all[all.length - 1]?.[1]);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * With the client no longer reading: watch `pid`'s resident memory and the flood server's progress
 * (its lines on `stderr()`) until the progress has not moved for 1.5 s (loopback socket buffers take
 * a few seconds to fill), at most 12 s. Asserts that the server stalled well below its 1 GiB and that
 * the RSS growth over `before` stayed under `bound`; returns the peak growth and where it stalled.
 */
export async function watchStall(options: {
  pid: number;
  stderr: () => string;
  before: number;
  bound: number;
  what: string;
}): Promise<{ peak: number; stalled: number }> {
  const { pid, stderr, before, bound, what } = options;
  let peak = 0;
  let progress = floodProgress(stderr());
  let still = 0;
  for (let i = 0; i < 48 && still < 6; i++) {
    await sleep(250);
    peak = Math.max(peak, rssBytes(pid) - before);
    const now = floodProgress(stderr());
    still = now === progress ? still + 1 : 0;
    progress = now;
  }
  console.log(
    `${what}: server ${still >= 6 ? 'blocked' : 'still sending'} at ${Math.round(progress / MiB)} MiB sent; RSS growth peak ${Math.round(peak / MiB)} MiB (bound ${Math.round(bound / MiB)} MiB)`,
  );
  expect(still, 'the server stopped making progress').toBeGreaterThanOrEqual(6);
  expect(progress, 'the server was blocked long before its 1 GiB').toBeLessThan(64 * MiB);
  expect(peak, `RSS grew by ${Math.round(peak / MiB)} MiB`).toBeLessThan(bound);
  return { peak, stalled: progress };
}

/** A message that is not one of the flood's notifications. */
export type OtherMessage = Record<string, unknown> & { id?: unknown; result?: unknown; error?: unknown };

/**
 * Reads newline-delimited JSON (`run`'s stdout) or an SSE body (`data: JSON` lines) from a stream:
 * flood notifications only advance a counter, checked to be 0, 1, 2... with the full padding; any
 * other message is kept. Anything malformed is recorded as a problem.
 */
export class FloodReader {
  /** The next seq expected. */
  seq = 0;
  readonly others: OtherMessage[] = [];
  readonly problems: string[] = [];
  bytes = 0;
  readonly #stream: Readable;
  readonly #sse: boolean;
  readonly #padSize: number;
  #partial: Buffer[] = [];
  readonly #waiters = new Set<() => void>();
  #ended = false;

  constructor(stream: Readable, options: { sse: boolean; padSize: number }) {
    this.#stream = stream;
    this.#sse = options.sse;
    this.#padSize = options.padSize;
    stream.on('data', (chunk: Buffer) => this.#push(chunk));
    stream.on('close', () => {
      this.#ended = true;
      this.#wake();
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Stop reading: the stream's buffers, then the pipe or socket, fill up. */
  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    this.#stream.resume();
  }

  /** Resolves once `predicate` holds (checked after every chunk); rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (predicate()) {
          finish();
          resolve();
          return true;
        }
        if (this.#ended) {
          finish();
          reject(new Error(`stream ended before ${what} (seq ${this.seq}, ${this.bytes} bytes)`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within ${timeoutMs} ms (seq ${this.seq}, ${this.bytes} bytes)`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      if (!check()) this.#waiters.add(check);
    });
  }

  #wake(): void {
    for (const check of [...this.#waiters]) check();
  }

  #push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      this.#partial.push(chunk.subarray(start, nl));
      const line = Buffer.concat(this.#partial).toString('utf8');
      this.#partial = [];
      start = nl + 1;
      this.#line(line);
    }
    if (start < chunk.length) this.#partial.push(Buffer.from(chunk.subarray(start)));
    this.#wake();
  }

  #line(line: string): void {
    let json = line;
    if (this.#sse) {
      // Only data lines carry messages (event:, id:, comments and blank lines frame them).
      if (!line.startsWith('data:')) return;
      json = line.slice(5).trim();
      if (json === '') return;
    }
    let message: OtherMessage;
    try {
      message = JSON.parse(json) as OtherMessage;
    } catch {
      this.problems.push(`not JSON: ${line.slice(0, 120)}`);
      return;
    }
    const data = message as { method?: string; params?: { data?: { seq?: unknown; pad?: unknown } } };
    if (data.method === 'notifications/message' && typeof data.params?.data?.seq === 'number') {
      const { seq, pad } = data.params.data;
      if (seq !== this.seq) this.problems.push(`seq ${seq} after ${this.seq - 1}`);
      else if (typeof pad !== 'string' || pad.length !== this.#padSize)
        this.problems.push(`seq ${seq}: bad pad`);
      this.seq = seq + 1;
      return;
    }
    this.others.push(message);
  }
}
