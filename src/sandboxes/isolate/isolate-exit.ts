import type { ExitInfo, LimitKind } from '../types.ts';

/**
 * How the isolate host process reports that a limit ended the guest, in one place: it kills itself
 * with one of these signals (no Node teardown runs, which could crash while the isolate's thread is
 * still busy or after V8 gave up on the heap), and the backend maps the signal back to ExitInfo.limit.
 * The guest cannot send signals, and none of these is one that a crash of the host would raise.
 */
export const LIMIT_SIGNALS: Readonly<Record<LimitKind, NodeJS.Signals>> = {
  memory: 'SIGUSR2',
  cpu: 'SIGXCPU',
  'wall-clock': 'SIGVTALRM',
  pids: 'SIGPROF',
};

/** The limit a host exit signal stands for, or undefined for an ordinary exit or crash. */
export function limitOfSignal(signal: NodeJS.Signals | null): LimitKind | undefined {
  return (Object.keys(LIMIT_SIGNALS) as LimitKind[]).find((k) => LIMIT_SIGNALS[k] === signal);
}

/** `info` with `limit` set when the host's exit signal says a limit ended the guest. */
export function exitInfoWithLimit(info: ExitInfo, detail: (kind: LimitKind) => string | undefined): ExitInfo {
  const kind = limitOfSignal(info.signal);
  if (kind === undefined) return info;
  return { ...info, limit: { kind, detail: detail(kind) ?? `the isolate's ${kind} limit was reached` } };
}

/** The status the host exits with when the guest calls process.exit(code): Node's truncation to a byte. */
export function guestExitStatus(code: number): number {
  return Number.isInteger(code) ? code & 0xff : 1;
}

/** Prefix of the stderr line the host writes before it ends the guest for a limit. */
export const LIMIT_LINE_PREFIX = 'mcp-warden isolate limit: ';

/** The host's exit status after it reported a start-up failure (EX_CONFIG): launch() has already thrown. */
export const START_FAILED_STATUS = 78;
