import type { SandboxProcess } from '../../sandboxes/process/spawn-sandbox-process.ts';
import type { FastStartEntry } from './cache-entry.ts';
import type { StartKey } from './start-key.ts';

/** What the fast start did before the rest of the warden loaded (early-start.ts), for adopt-launch.ts. */
export type EarlyStart =
  /** MCP_WARDEN_NO_FAST_START is set: nothing is read or written. */
  | { kind: 'off' }
  /** No sandbox was spawned: `reason` says why (no entry, a check failed...). */
  | { kind: 'miss'; key: StartKey; dir: string; file: string; reason: string }
  /** The cached plan of `entry` was spawned: `sandbox` has received nothing from the client. */
  | {
      kind: 'spawned';
      key: StartKey;
      dir: string;
      file: string;
      entry: FastStartEntry;
      sandbox: Promise<SandboxProcess>;
    };

/** Set (to anything but "" or "0") to turn the fast start off: no cached launch is read or written. */
export const NO_FAST_START_VAR = 'MCP_WARDEN_NO_FAST_START';

let early: EarlyStart | undefined;

/** Record what the fast start did (once per process). */
export function setEarlyStart(start: EarlyStart): void {
  early = start;
}

/**
 * What the fast start did, handed over once: a second call answers undefined, so a spawned sandbox
 * is adopted or killed exactly once. Undefined too when the fast start never ran (an embedder, a test).
 */
export function takeEarlyStart(): EarlyStart | undefined {
  const taken = early;
  early = undefined;
  return taken;
}

/**
 * True while a sandbox the fast start spawned waits for its adoption: the backend then has nothing to
 * start ahead (Backend.prestart), since the session adopts that one or replaces it.
 */
export function earlyLaunchPending(): boolean {
  return early?.kind === 'spawned';
}
