import type { JsonRpcId } from '../protocol/json-rpc.ts';
import type { SessionState } from './session-state.ts';

/** A client request (or one of the warden's own) whose deadline passed before the server answered. */
export interface ExpiredRequest {
  id: JsonRpcId;
  method: string;
  tool?: string;
  internal?: boolean;
}

/**
 * The request deadlines of one session: every tracked request gets `timeoutMs`, and one timer, armed
 * for the oldest in-flight request, serves them all (a timer per request cost more than the rest of
 * the bookkeeping). Settled requests simply leave the state's map; when the timer fires it hands what
 * has expired to `onExpired` (which settles or abandons it) and re-arms for the next oldest.
 */
export class RequestTimeouts {
  readonly #state: SessionState;
  readonly #timeoutMs: number;
  readonly #onExpired: (request: ExpiredRequest) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(state: SessionState, timeoutMs: number, onExpired: (request: ExpiredRequest) => void) {
    this.#state = state;
    this.#timeoutMs = timeoutMs;
    this.#onExpired = onExpired;
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** Track a request sent to the server; `internal` for the warden's own (a re-list, a replay). */
  track(id: JsonRpcId, method: string, tool: string | undefined, internal = false): void {
    const deadline = performance.now() + this.#timeoutMs;
    this.#state.trackClientRequest({ id, method, tool, deadline, internal });
    this.#arm();
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const next = this.#state.nextDeadline();
    if (next === undefined) return;
    this.#timer = setTimeout(this.#expire, Math.max(0, next - performance.now()));
    this.#timer.unref();
  }

  readonly #expire = (): void => {
    this.#timer = undefined;
    for (const request of [...this.#state.expired(performance.now())]) this.#onExpired(request);
    this.#arm();
  };
}
