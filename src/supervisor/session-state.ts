import type { JsonRpcId } from '../protocol/json-rpc.ts';
import { idKey } from '../protocol/json-rpc.ts';
import type { SessionView, ToolInfo, ToolsReview, WithheldTool } from '../policy/types.ts';

/** Abandoned ids are remembered so a late answer is dropped quietly; bounded so a flood cannot grow it. */
const MAX_ABANDONED = 4096;

interface ClientRequest {
  id: JsonRpcId;
  method: string;
  tool?: string;
  /** performance.now() after which the warden answers it with request.timeout itself. */
  deadline: number;
  /** Sent by the warden itself (initialize replay after a restart): its answer is not forwarded. */
  internal?: boolean;
}

/**
 * The mutable session facts the supervisor keeps and the policy reads (through SessionView).
 * Only the supervisor mutates it, and only after a verdict, so decide() stays pure.
 */
export class SessionState implements SessionView {
  readonly clientInFlight = new Map<string, ClientRequest>();
  readonly serverInFlight = new Map<string, { id: JsonRpcId; method: string }>();
  readonly abandoned = new Set<string>();
  readonly tools = new Map<string, ToolInfo>();
  readonly pins = new Map<string, string>();
  readonly withheld = new Map<string, WithheldTool>();

  trackClientRequest(request: ClientRequest): void {
    this.clientInFlight.set(idKey(request.id), request);
  }

  /**
   * The in-flight client requests whose deadline has passed at `now`, oldest first. Every request
   * gets the same timeout, so insertion order is deadline order and the scan stops at the first
   * request still in time.
   */
  *expired(now: number): Generator<ClientRequest> {
    for (const request of this.clientInFlight.values()) {
      if (request.deadline > now) return;
      yield request;
    }
  }

  /** The earliest deadline among in-flight client requests, if any. */
  nextDeadline(): number | undefined {
    for (const request of this.clientInFlight.values()) return request.deadline;
    return undefined;
  }

  /** Remove and return the client request a server response answers (undefined if none). */
  settleClientRequest(id: JsonRpcId): ClientRequest | undefined {
    const key = idKey(id);
    const request = this.clientInFlight.get(key);
    if (request) this.clientInFlight.delete(key);
    return request;
  }

  /** The warden answered this request itself; a late server answer must be dropped. */
  abandon(id: JsonRpcId): void {
    this.settleClientRequest(id);
    if (this.abandoned.size >= MAX_ABANDONED) {
      const oldest = this.abandoned.values().next().value;
      if (oldest !== undefined) this.abandoned.delete(oldest);
    }
    this.abandoned.add(idKey(id));
  }

  /**
   * Take every in-flight client request (a breach answers them all) and forget server requests. The
   * sandbox is gone, so no late answer can arrive any more: abandoned ids become usable again.
   */
  drainInFlight(): ClientRequest[] {
    const all = [...this.clientInFlight.values()];
    this.clientInFlight.clear();
    this.serverInFlight.clear();
    this.abandoned.clear();
    return all;
  }

  learnTools(tools: ReadonlyMap<string, ToolInfo>): void {
    for (const [name, info] of tools) this.tools.set(name, info);
  }

  /** Record what the policy decided about a tools/list result (pins, withheld and released tools). */
  applyToolsReview(review: ToolsReview): void {
    for (const [name, hash] of review.pin) if (!this.pins.has(name)) this.pins.set(name, hash);
    for (const [name, why] of review.withhold) this.withheld.set(name, why);
    for (const name of review.release) this.withheld.delete(name);
  }
}
