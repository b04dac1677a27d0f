/** How often the watchdog samples the isolate's CPU time. */
export const WATCHDOG_TICK_MS = 50;
/** A tick in which the guest used less than this share of the wall time counts as idle. */
const IDLE_SHARE = 0.5;

/**
 * Pure CPU-budget bookkeeping: the guest's CPU time accumulates while it keeps at least half a core
 * busy tick after tick (a synchronous loop, a promise chain, a setTimeout(0) loop all look the same
 * here); one idle tick resets it. `exceeded` turns true once the run of busy ticks burned `budgetMs`.
 */
export class CpuBudget {
  readonly #budgetNs: bigint;
  #lastCpu = 0n;
  #lastWall = 0n;
  #hot = 0n;
  constructor(budgetMs: number) {
    this.#budgetNs = BigInt(Math.round(budgetMs * 1e6));
  }
  /** Feed one sample (cumulative CPU ns of the isolate, a monotonic wall clock in ns); true when over budget. */
  sample(cpuNs: bigint, wallNs: bigint): boolean {
    const cpu = cpuNs - this.#lastCpu;
    const wall = wallNs - this.#lastWall;
    this.#lastCpu = cpuNs;
    this.#lastWall = wallNs;
    if (wall <= 0n) return false;
    if (Number(cpu) < Number(wall) * IDLE_SHARE) this.#hot = 0n;
    else this.#hot += cpu;
    return this.#hot > this.#budgetNs;
  }
  /** CPU burnt in the current busy run, in ms. */
  get hotMs(): number {
    return Number(this.#hot / 1_000_000n);
  }
}
