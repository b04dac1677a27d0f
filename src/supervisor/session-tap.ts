import type { Direction, RuleId, Verdict } from '../policy/types.ts';

/**
 * An observer of everything a session mediates, for `run --record` (src/replay/record-writer.ts).
 * The session calls it after each decision and before acting on it; a tap never changes what the
 * session does and must not throw (a recorder that fails stops recording and says so on stderr).
 */
export interface SessionTap {
  /**
   * A message that parsed, as it arrived (`value`: the JSON object, before any rewrite), its line's
   * size in bytes, and the verdict the policy gave it.
   */
  message(
    direction: Direction,
    value: Readonly<Record<string, unknown>>,
    bytes: number,
    verdict: Verdict,
  ): void;
  /** A line that did not parse or passed the size cap: its rule and reason only, never its content. */
  invalid(direction: Direction, rule: RuleId, reason: string): void;
  /**
   * A line the warden itself sends: an answer to the client (denial, timeout, -32002), or its own
   * request to the server (the tools/list after list_changed, the initialize replayed after a restart).
   */
  own(to: 'client' | 'server', line: Buffer): void;
}
