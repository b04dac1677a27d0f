import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface LoadResult {
  sessions: number;
  calls: number;
  errors: string[];
  /** Per tools/call latency, milliseconds, sorted. */
  latencies: number[];
  /** Per session: initialize handshake (sandbox start included), milliseconds, sorted. */
  connects: number[];
  wallMs: number;
  /**
   * From the moment every session was open to the last session's end, milliseconds. With
   * `hooks.afterCalls`, to the moment every session had made its calls (the hook and the DELETEs are
   * not counted).
   */
  callPhaseMs: number;
}

export interface LoadHooks {
  /**
   * Run once when every session has made its calls (or failed), before any is DELETEd: all sessions
   * that opened are still open, e.g. to measure memory. Undefined: sessions end as they finish.
   */
  afterCalls?: () => Promise<void>;
}

/**
 * Open `sessions` concurrent MCP sessions on `url`; once all are open (so call latencies are not
 * dominated by sandboxes still booting), make `callsPerSession` tools/call each (test_simple_text)
 * concurrently, then DELETE every session (after `hooks.afterCalls`, when given). Collects latencies
 * and errors (a throwing hook is one error); never throws.
 */
export async function runLoad(
  url: string,
  sessions: number,
  callsPerSession: number,
  headers: Record<string, string> = {},
  hooks: LoadHooks = {},
): Promise<LoadResult> {
  const errors: string[] = [];
  const latencies: number[] = [];
  const connects: number[] = [];
  const started = performance.now();
  let arrived = 0;
  let release!: () => void;
  let openedAt = 0;
  const allOpen = new Promise<void>((resolve) => (release = resolve)).then(() => {
    openedAt = performance.now();
  });
  const arrive = (): void => {
    if (++arrived === sessions) release();
  };
  let called = 0;
  let calledAt = 0;
  let releaseCalled!: () => void;
  const allCalled = new Promise<void>((resolve) => (releaseCalled = resolve)).then(async () => {
    calledAt = performance.now();
    await hooks.afterCalls?.().catch((error: unknown) => {
      errors.push(`afterCalls: ${(error as Error).message}`);
    });
  });
  const doneCalling = (): void => {
    if (++called === sessions) releaseCalled();
  };
  await Promise.all(
    Array.from({ length: sessions }, async (_, i) => {
      const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
      const client = new Client({ name: `load-${i}`, version: '1.0.0' });
      let calling = true;
      let step = 'connect';
      const finishCalls = async (): Promise<void> => {
        if (!calling) return;
        calling = false;
        doneCalling();
        if (hooks.afterCalls) await allCalled;
      };
      try {
        const t0 = performance.now();
        try {
          await client.connect(transport);
          connects.push(performance.now() - t0);
        } finally {
          arrive();
        }
        await allOpen;
        for (let c = 0; c < callsPerSession; c++) {
          step = `call ${c}`;
          const t = performance.now();
          const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
          latencies.push(performance.now() - t);
          if (result.isError) errors.push(`session ${i} call ${c}: tool error`);
        }
        await finishCalls();
        step = 'DELETE';
        await transport.terminateSession();
      } catch (error) {
        errors.push(`session ${i} ${step}: ${(error as Error).message}`);
      } finally {
        await finishCalls();
        await client.close().catch(() => undefined);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  connects.sort((a, b) => a - b);
  const ended = performance.now();
  return {
    sessions,
    calls: latencies.length,
    errors,
    latencies,
    connects,
    wallMs: ended - started,
    callPhaseMs: (hooks.afterCalls ? calledAt : ended) - (openedAt || started),
  };
}

/** The q-quantile (0..1) of sorted values, nearest-rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
