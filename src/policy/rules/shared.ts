import type { RuleId, Verdict } from '../types.ts';

/** Verdicts other than allow. */
export type Rejection = Exclude<Verdict, { action: 'allow' }>;

const MAX_REASON = 200;
const MAX_DETAIL = 256;

/** Build a deny/kill verdict with the reason and detail clipped to their documented lengths. */
export function reject(action: 'deny' | 'kill', rule: RuleId, reason: string, detail?: string): Rejection {
  const verdict: Rejection = { action, rule, reason: clip(reason, MAX_REASON) };
  if (detail !== undefined) verdict.detail = clip(detail, MAX_DETAIL);
  return verdict;
}

/** Shorten `text` to at most `max` UTF-16 units (lone surrogates become U+FFFD), marking a cut with …. */
export function clip(text: string, max: number): string {
  const safe = text.toWellFormed();
  if (safe.length <= max) return safe;
  let cut = safe.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1); // do not split a surrogate pair
  return `${cut}…`;
}

export { isRecord } from '../../util/is-record.ts';
