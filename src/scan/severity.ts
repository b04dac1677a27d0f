import { SEVERITIES } from '../config/severities.ts';

/** How bad a finding is, lowest first. */
export type Severity = (typeof SEVERITIES)[number];

export { SEVERITIES };

/** True when `a` is at least as severe as `b`. */
export function atLeast(a: Severity, b: Severity): boolean {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b);
}

/** The most severe of `severities`, or undefined for none. */
export function worst(severities: Iterable<Severity>): Severity | undefined {
  let out: Severity | undefined;
  for (const s of severities) if (out === undefined || atLeast(s, out)) out = s;
  return out;
}
