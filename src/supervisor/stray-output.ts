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
 * each burst is audited once, so a chatty server does not flood the audit log, and the session totals
 * are held against the flood limit, so a server cannot print without end either.
 */
export class StrayOutput {
  readonly #limits: StrayLimits;
  #totalLines = 0;
  #totalBytes = 0;
  #burstLines = 0;
  #burstBytes = 0;

  constructor(limits: StrayLimits) {
    this.#limits = limits;
  }

  /**
   * Count one stray line of `bytes` bytes.
   * @returns `started` when it opens a new burst, `over` when the session is now past its budget.
   */
  add(bytes: number): { started: boolean; over: boolean } {
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

  /** End the current burst: its counts, or undefined when no burst is open. */
  takeBurst(): StrayBurst | undefined {
    if (this.#burstLines === 0) return undefined;
    const burst = {
      lines: this.#burstLines,
      bytes: this.#burstBytes,
      totalLines: this.#totalLines,
      totalBytes: this.#totalBytes,
    };
    this.#burstLines = 0;
    this.#burstBytes = 0;
    return burst;
  }
}
