export interface SessionClockOptions {
  idleTimeoutMs: number;
  unusedTtlMs: number;
  onIdle: () => void;
  onUnused: () => void;
  /** The credential's expiry time has come (see expireAt). */
  onExpired: () => void;
}

/**
 * When an HTTP session ends by itself:
 *  - idle: no request in progress for idleTimeoutMs (an idle client and a lost one look the same);
 *  - unused: nothing beyond the handshake, no request in progress and no GET stream open, for
 *    unusedTtlMs (a client that initialized and vanished); once used, only the idle timeout applies;
 *  - expired: the session's credential reached its expiry.
 * A GET opens the standalone event stream: holding it open is not activity (a vanished client's stream
 * may linger), so only requests reset the idle clock; it does keep an unused session (a client waiting
 * for server notifications is there). Every timer is unref'd.
 */
export class SessionClock {
  readonly #o: SessionClockOptions;
  #openRequests = 0;
  #openStreams = 0;
  #used = false;
  #stopped = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #unusedTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;

  constructor(options: SessionClockOptions, expiresAt: number | undefined) {
    this.#o = options;
    this.#armIdle();
    this.#armUnused();
    this.expireAt(expiresAt);
  }

  /** A request (POST, DELETE) is being served. */
  requestOpened(): void {
    this.#openRequests++;
    this.#clearIdle();
    this.#clearUnused();
  }

  requestClosed(): void {
    this.#openRequests--;
    this.#armIdle();
    this.#armUnused();
  }

  /** A standalone GET stream opened. */
  streamOpened(): void {
    this.#openStreams++;
    this.#clearUnused();
  }

  streamClosed(): void {
    this.#openStreams--;
    this.#armUnused();
  }

  /** A client message beyond the handshake: from now on only the idle timeout applies. */
  markUsed(): void {
    if (this.#used) return;
    this.#used = true;
    this.#clearUnused();
  }

  /** The credential now governing the session expires at `at` (ms since the epoch; undefined: never). */
  expireAt(at: number | undefined): void {
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    if (at === undefined || this.#stopped) return;
    // setTimeout caps at 2^31-1 ms (~24.8 days): a later expiry re-arms on the way.
    const wait = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1);
    this.#expiryTimer = setTimeout(() => {
      if (Date.now() >= at) this.#o.onExpired();
      else this.expireAt(at);
    }, wait);
    this.#expiryTimer.unref();
  }

  /** The session ended: no timer fires any more. */
  stop(): void {
    this.#stopped = true;
    this.#clearIdle();
    this.#clearUnused();
    clearTimeout(this.#expiryTimer);
  }

  #armIdle(): void {
    if (this.#stopped || this.#openRequests > 0 || this.#idleTimer) return;
    this.#idleTimer = setTimeout(this.#o.onIdle, this.#o.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #armUnused(): void {
    if (this.#stopped || this.#used || this.#openRequests > 0 || this.#openStreams > 0 || this.#unusedTimer)
      return;
    this.#unusedTimer = setTimeout(this.#o.onUnused, this.#o.unusedTtlMs);
    this.#unusedTimer.unref();
  }

  #clearUnused(): void {
    if (this.#unusedTimer) clearTimeout(this.#unusedTimer);
    this.#unusedTimer = undefined;
  }
}
