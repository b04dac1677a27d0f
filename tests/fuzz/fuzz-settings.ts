// Shared fast-check settings for tests/fuzz: a fixed seed in CI (reproducible), scaled up by
// FUZZ_SCALE for the long run (`npm run fuzz`, which also picks a fresh seed unless FUZZ_SEED is set).

const scale = Math.max(1, Number(process.env.FUZZ_SCALE ?? '1') || 1);
const long = scale > 1;

/** The seed every property uses; printed on failure by fast-check so a run can be replayed. */
export const SEED = process.env.FUZZ_SEED
  ? Number(process.env.FUZZ_SEED)
  : long
    ? Date.now() % 2 ** 31
    : 20_261_123;

/** fast-check parameters for a property that should run `runs` times in CI. */
export function settings(runs: number): { seed: number; numRuns: number; endOnFailure: true } {
  return { seed: SEED, numRuns: runs * scale, endOnFailure: true };
}

/** Per-test timeout that grows with the scale. */
export const TIMEOUT = 120_000 * scale;

/** Messages processed by the properties of one test file (each file asserts its own total). */
export class MessageCounter {
  count = 0;
  add(n = 1): void {
    this.count += n;
  }
}
