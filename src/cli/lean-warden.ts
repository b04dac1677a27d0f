// An idle `mcp-warden run` sits next to every server of a client's config for hours, so its resident
// memory is paid once per configured server (issue 19). Two measured levers, each applied to the warden
// process only (V8 flags are per process: a sandboxed server is another process and never sees them):
//  - no top-tier compiler (TurboFan) while the session is light: its machine code is ~5 MB of the
//    node binary that a warden pages in during start-up. Maglev, the mid tier, stays: without it too a
//    warden saves 2-3 MB more, but pipelined throughput halves. Interactive calls are bound by pipe
//    hops and system calls, not JIT quality; sustained traffic is not, so a busy second after start-up
//    turns TurboFan back on for the rest of the session.
//  - one memory-reducing collection at the first idle second after start-up: start-up leaves the
//    young generation grown to 8 MB, which V8 would keep committed while the warden idles.
// Busy and idle are CPU time, not event-loop utilization: on a loaded machine (a client starting its
// whole config at once) a callback's wall time stretches, and a few messages would look like traffic.
// The same for every backend, `isolate` included: its server runs in a child host process (host-main)
// with its own flags, so turning TurboFan back on at once for it only cost the warden memory.

/** Nothing happens before this long after start-up (start-up itself is busy). */
const SETTLE_MS = 2_000;
/** The CPU time the warden used is sampled over intervals of this length. */
const CHECK_MS = 1_000;
/** An interval with at most this share of one core used is idle: the heap is trimmed (once). */
const IDLE_CPU = 0.02;
/** An interval with at least this share of one core used, once trimmed, is traffic: TurboFan comes back (for good). */
const BUSY_CPU = 0.25;

/** What the lean warden does after one check interval. */
export type LeanStep = 'wait' | 'trim' | 'jit';

/**
 * Pure: the step after an interval in which the warden used `cpu` (a share of one core, 0..n),
 * `elapsedMs` after start-up, the heap already trimmed or not. Start-up ends at the first idle
 * interval (the trim); only traffic after it counts as busy, however long a loaded machine stretches
 * start-up.
 */
export function leanStep(elapsedMs: number, cpu: number, trimmed: boolean): LeanStep {
  if (elapsedMs < SETTLE_MS) return 'wait';
  if (!trimmed) return cpu <= IDLE_CPU ? 'trim' : 'wait';
  return cpu >= BUSY_CPU ? 'jit' : 'wait';
}

/**
 * Turn V8's top-tier compiler off, for `run`. Call it first thing: start-up already pages its code in
 * (set after the profile is prepared instead, turning off both optimising tiers saved 1 MB instead of
 * 7). Never throws: a runtime without the flag keeps its JIT.
 */
export function leanJit(): void {
  setJit(false);
}

/**
 * Once the session runs: watch the warden's CPU time, trim the heap at the first idle second after
 * start-up, and turn TurboFan back on at the first busy one after that. Never throws.
 */
export function leanWarden(): void {
  const start = performance.now();
  let lastWall = start;
  let lastCpu = process.cpuUsage();
  let trimmed = false;
  const timer = setInterval(() => {
    const wall = performance.now();
    const used = process.cpuUsage(lastCpu);
    const step = leanStep(wall - start, (used.user + used.system) / 1000 / (wall - lastWall), trimmed);
    lastWall = wall;
    lastCpu = process.cpuUsage();
    if (step === 'trim') {
      trimmed = true;
      trimHeap();
    } else if (step === 'jit') {
      clearInterval(timer);
      setJit(true);
    }
  }, CHECK_MS);
  timer.unref();
}

function setJit(on: boolean): void {
  try {
    process.getBuiltinModule('node:v8').setFlagsFromString(on ? '--turbofan' : '--no-turbofan');
  } catch {
    // Flags this runtime does not know: nothing changes.
  }
}

/**
 * One full, memory-reducing collection (V8's "last resort" GC: it also shrinks the young generation).
 * Exported for tests. Never throws.
 */
export function trimHeap(): void {
  try {
    const v8 = process.getBuiltinModule('node:v8');
    // The gc function exists only in contexts created while --expose-gc is set: make one context with
    // it, and unset the flag at once so no later context (an isolated-vm isolate's) gets a gc global.
    v8.setFlagsFromString('--expose-gc');
    let gc: (options: object) => void;
    try {
      gc = process.getBuiltinModule('node:vm').runInNewContext('gc') as (options: object) => void;
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    // No trim: the heap stays as V8 sized it.
  }
}
