import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import { idKey } from '../protocol/json-rpc-id.ts';

/** A client request of an HTTP session waiting for its answer. */
export interface InFlight {
  id: RequestId;
  method: string;
  /** process.hrtime.bigint() when it came (for its duration metric). */
  started: bigint;
}

/**
 * The client requests of an HTTP session still waiting for their answer, oldest first, and the progress
 * tokens they carry. Stdio carries no link between a server's notification or request and the client
 * request it belongs to, so it is recovered from these (relatedTo).
 */
export class InFlightRequests {
  readonly #requests = new Map<string, InFlight>();
  /** Progress token → the request that carried it. */
  readonly #progress = new Map<string, RequestId>();

  get size(): number {
    return this.#requests.size;
  }

  /** A client request: in flight until settled, with its progress token (params._meta) if it has one. */
  track(id: RequestId, method: string, params: unknown): void {
    this.#requests.set(idKey(id), { id, method, started: process.hrtime.bigint() });
    const token = (params as { _meta?: { progressToken?: unknown } } | undefined)?._meta?.progressToken;
    if (typeof token === 'string' || typeof token === 'number') this.#progress.set(idKey(token), id);
  }

  /**
   * The client request a server notification or request belongs to: a progress notification's by its
   * token, anything else the most recent request still in flight; undefined when none is.
   */
  relatedTo(message: { method: string; params?: unknown }): RequestId | undefined {
    if (message.method === 'notifications/progress') {
      const token = (message.params as { progressToken?: unknown } | undefined)?.progressToken;
      if (typeof token === 'string' || typeof token === 'number') {
        const owner = this.#progress.get(idKey(token));
        if (owner !== undefined && this.#requests.has(idKey(owner))) return owner;
      }
    }
    let latest: InFlight | undefined;
    for (const request of this.#requests.values()) latest = request;
    return latest?.id;
  }

  /** The request `id` was answered: no longer in flight. Returns it, or undefined when it was not in flight. */
  settle(id: RequestId): InFlight | undefined {
    const key = idKey(id);
    const request = this.#requests.get(key);
    if (!request) return undefined;
    this.#requests.delete(key);
    for (const [token, owner] of this.#progress) if (idKey(owner) === key) this.#progress.delete(token);
    return request;
  }

  /** Every request still in flight, oldest first (a copy). */
  list(): InFlight[] {
    return [...this.#requests.values()];
  }
}
