import type { ServerResponse } from 'node:http';

/** How long a response of an ended session may take to drain before it is destroyed. */
const STUCK_RESPONSE_GRACE_MS = 1000;

/**
 * The open responses of an HTTP session (POST streams, the GET stream...): what back-pressure watches.
 * The transport queues its events in a web stream the HTTP layer drains only as the socket takes them,
 * so a full socket is where a client that stopped reading shows.
 */
export class OpenResponses {
  readonly #responses = new Set<ServerResponse>();

  /** Watch `res` until it closes. */
  add(res: ServerResponse): void {
    this.#responses.add(res);
    res.once('close', () => this.#responses.delete(res));
  }

  /** An open response that is full (the client is not reading it as fast as it gets written), if any. */
  backlogged(): ServerResponse | undefined {
    for (const res of this.#responses) if (res.writableNeedDrain && !res.destroyed) return res;
    return undefined;
  }

  /**
   * Settles when every response has taken what was sent to it: after `sent()` (the transport queued the
   * messages sent so far) settles and the HTTP layer had its turn to move them to the sockets, no
   * response is full. Also settles when `signal` aborts (the session is ending).
   */
  async ready(sent: () => Promise<void>, signal: AbortSignal): Promise<void> {
    for (;;) {
      await sent();
      await new Promise<void>((resolve) => setImmediate(resolve));
      const full = this.backlogged();
      if (full === undefined || signal.aborted) return;
      await untilDrained(full, signal);
    }
  }

  /**
   * After the transport closed every stream: a response the client still does not read would hold the
   * events queued for it (and its socket) for as long as the client stays connected. Give it a moment
   * to drain, then destroy it; nothing of a dead session is kept.
   */
  closeStuck(): void {
    const open = [...this.#responses];
    this.#responses.clear();
    if (open.length === 0) return;
    const timer = setTimeout(() => {
      for (const res of open) if (!res.writableFinished) res.destroy();
    }, STUCK_RESPONSE_GRACE_MS);
    timer.unref();
  }
}

/** Resolves when `res` drains or closes, or when `signal` aborts. */
function untilDrained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
