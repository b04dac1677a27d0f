/** A burst of stray lines ends after this long without another one (then it is audited). */
const STRAY_BURST_MS = 1000;

/** The stray-output budget of one session (policy.strayOutput). */
export interface StrayLimits {
  lines: number;
  bytes: number;
}

/** One burst of stray lines, as audited, with the session totals at its end. */
export interface StrayBurst {
  lines: number;
  bytes: number;
  totalLines: number;
  totalBytes: number;
}

/**
 * Counts the non-JSON lines a server prints on stdout. Lines come in bursts (a banner, a debug dump):
 * each burst is reported once (`onBurst`, the session audits it), so a chatty server does not flood
 * the audit log, and the session totals are held against the flood limit, so a server cannot print
 * without end either. A burst ends at most STRAY_BURST_MS after it began (one timer per burst, re-armed
 * by nothing), or earlier when the session calls closeBurst() (a valid message, the end).
 */
export class StrayOutput {
  readonly #limits: StrayLimits;
  readonly #onBurst: (burst: StrayBurst) => void;
  #totalLines = 0;
  #totalBytes = 0;
  #burstLines = 0;
  #burstBytes = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(limits: StrayLimits, onBurst: (burst: StrayBurst) => void) {
    this.#limits = limits;
    this.#onBurst = onBurst;
  }

  /**
   * Count one stray line of `bytes` bytes.
   * @returns `started` when it opens a new burst, `over` when the session is now past its budget.
   */
  add(bytes: number): { started: boolean; over: boolean } {
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.closeBurst(), STRAY_BURST_MS);
      this.#timer.unref();
    }
    const started = this.#burstLines === 0;
    this.#burstLines++;
    this.#burstBytes += bytes;
    this.#totalLines++;
    this.#totalBytes += bytes;
    const over = this.#totalLines > this.#limits.lines || this.#totalBytes > this.#limits.bytes;
    return { started, over };
  }

  /** The session's totals against its budget, for a kill reason. */
  describeOver(): string {
    return (
      `the server printed ${this.#totalLines} non-JSON lines (${this.#totalBytes} bytes) on stdout, ` +
      `more than its limit of ${this.#limits.lines} lines or ${this.#limits.bytes} bytes`
    );
  }

  /** End the current burst, if one is open, and report it. */
  closeBurst(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#burstLines === 0) return;
    const burst = {
      lines: this.#burstLines,
      bytes: this.#burstBytes,
      totalLines: this.#totalLines,
      totalBytes: this.#totalBytes,
    };
    this.#burstLines = 0;
    this.#burstBytes = 0;
    this.#onBurst(burst);
  }
}
