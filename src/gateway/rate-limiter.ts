/** Outcome of one rate-limit check; `retryAfterSec` is what the 429's Retry-After header says. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSec: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token bucket per key (a credential id, or a client address without auth): `perMinute` requests
 * burst, refilled continuously. Full buckets are forgotten so the map stays small.
 */
export class RateLimiter {
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(perMinute: number, now: () => number = Date.now) {
    this.#capacity = perMinute;
    this.#perMs = perMinute / 60_000;
    this.#now = now;
  }

  take(key: string): RateDecision {
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.#capacity, at: now };
    bucket.tokens = Math.min(this.#capacity, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.#buckets.set(key, bucket);
      return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000)) };
    }
    bucket.tokens -= 1;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > 10_000) this.#prune(now);
    return { ok: true };
  }

  /**
   * Whether `take(key)` would succeed now, without taking a token: for limits charged only after the
   * fact (a failed authentication), checked before the work they protect.
   */
  check(key: string): RateDecision {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return { ok: true };
    const tokens = Math.min(this.#capacity, bucket.tokens + (this.#now() - bucket.at) * this.#perMs);
    if (tokens >= 1) return { ok: true };
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - tokens) / this.#perMs / 1000)) };
  }

  #prune(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#perMs >= this.#capacity) this.#buckets.delete(key);
    }
  }
}
