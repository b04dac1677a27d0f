import type { Sandbox } from '../sandboxes/types.ts';

/** What the pool keeps: a launched sandbox and whatever belongs with it (its egress proxy). */
export interface WarmItem {
  sandbox: Sandbox;
}

export interface WarmPoolOptions<T extends WarmItem> {
  /** Sandboxes kept launched and idle. */
  size: number;
  /** Launch one sandbox of the server's plan (the same call a session makes on demand). */
  launch: () => Promise<T>;
  /** Stop an item that will serve no session (closed pool, died idle), and what belongs with it. */
  discard: (item: T) => Promise<void>;
  /** A refill launch failed (logged by the caller); the pool retries later with backoff. */
  onError: (error: unknown) => void;
  /** First retry delay after a failed refill; doubles per consecutive failure, at most a minute. */
  retryMs?: number;
}

const MAX_RETRY_MS = 60_000;

/**
 * Sandboxes of one gateway server launched ahead of demand, so a new session does not wait for the
 * container engine (docker ~200 ms, gVisor ~800 ms here) or the server's boot.
 *
 * Security: a warm sandbox is launched from the same plan a session would launch on demand and has
 * never seen a client message; the server inside has only booted and waits for `initialize`. Each is
 * handed to exactly one session and never comes back to the pool, so no state crosses sessions.
 * Idle ones that die are dropped and replaced; none is ever handed out after its exit was seen.
 */
export class WarmPool<T extends WarmItem> {
  readonly #o: Required<WarmPoolOptions<T>>;
  readonly #ready: T[] = [];
  readonly #launching = new Set<Promise<void>>();
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: WarmPoolOptions<T>) {
    this.#o = { retryMs: 1000, ...options };
    this.#fill();
  }

  /** Sandboxes launched and waiting for a session. */
  get idle(): number {
    return this.#ready.length;
  }

  /** A warm sandbox if one is ready, else a launch on demand; either way the pool refills behind. */
  take(): Promise<T> {
    const item = this.#ready.shift();
    this.#fill();
    return item ? Promise.resolve(item) : this.#o.launch();
  }

  /** Stop refilling and stop every idle sandbox, including launches still under way. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const idle = this.#ready.splice(0);
    await Promise.all([...idle.map((item) => this.#o.discard(item)), ...this.#launching]);
  }

  #fill(): void {
    if (this.#closed || this.#retry !== undefined) return;
    while (this.#ready.length + this.#launching.size < this.#o.size) {
      const launched: Promise<void> = this.#o.launch().then(
        async (item) => {
          this.#launching.delete(launched);
          // Closed meanwhile: this one never reaches a session.
          if (this.#closed) return void (await this.#o.discard(item));
          this.#failures = 0;
          this.#ready.push(item);
          void item.sandbox.exited.then(() => this.#dropDead(item));
        },
        (error: unknown) => {
          this.#launching.delete(launched);
          this.#o.onError(error);
          this.#failures++;
          if (this.#closed || this.#retry !== undefined) return;
          // Back off instead of spinning while the backend is down: retryMs, ×2 per failure, ≤ 1 min.
          const delay = Math.min(MAX_RETRY_MS, this.#o.retryMs * 2 ** (this.#failures - 1));
          this.#retry = setTimeout(() => {
            this.#retry = undefined;
            this.#fill();
          }, delay);
          this.#retry.unref();
        },
      );
      this.#launching.add(launched);
    }
  }

  /** An idle sandbox exited (crashed, killed, OOM): forget it and launch a replacement. */
  #dropDead(item: T): void {
    const index = this.#ready.indexOf(item);
    if (index === -1) return; // taken by a session: its exit is the session's business
    this.#ready.splice(index, 1);
    void this.#o.discard(item).catch((error: unknown) => this.#o.onError(error));
    this.#fill();
  }
}
