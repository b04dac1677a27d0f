import { sanitizeReason } from '../protocol/wire-errors.ts';
import type { Direction, RuleId } from '../policy/types.ts';
import type { ConnectionEvent } from '../network/connection-event.ts';

/** Every audit event has an `event` discriminator; these are the only kinds ever written. */
export type AuditEvent =
  | { event: 'session.start'; profile: string; backend: string; roots: string[]; command: string[] }
  | { event: 'session.end'; reason: string; exitCode: number }
  | {
      /** A root whose real path differs from the path given (symlinks followed), right after session.start. */
      event: 'root.resolved';
      root: string;
      realPath: string;
      readOnly: boolean;
      /** The symlinks followed, "link → target". */
      links: string[];
      /** The earlier rw root the link lies in, when the user confirmed it with --allow-root-symlink. */
      confirmedInRwRoot?: string;
    }
  | {
      /** `auto`'s backend probed fine but could not launch (e.g. docker socket refused); the next one was used. */
      event: 'backend.fallback';
      from: string;
      to: string;
      reason: string;
    }
  | { event: 'sandbox.start'; backend: string; pid: number; generation: number }
  | {
      /**
       * `run`'s fast start (src/cli/fast-start): the first sandbox was spawned from the cached launch of
       * this configuration and confirmed (`adopted`), spawned but killed unseen because the prepared plan
       * differs (`replaced`), not spawned (`miss`, `detail` says why), or turned off (`off`).
       * `cacheable`: this session's launch is one the fast start caches for the next start.
       */
      event: 'fast-start';
      outcome: 'adopted' | 'replaced' | 'miss' | 'off';
      detail: string;
      cacheable: boolean;
    }
  | {
      /** `run --warm`: the first sandbox was a ready one from the warm pool (`hit`), or why not. */
      event: 'sandbox.warm';
      hit: boolean;
      detail: string;
    }
  | {
      event: 'sandbox.stop';
      pid: number;
      code: number | null;
      signal: string | null;
      reason: string;
      /** The resource limit that stopped the sandbox, when the backend can tell (ExitInfo.limit). */
      limit?: string;
      detail?: string;
    }
  | {
      event: 'verdict';
      direction: Direction;
      action: 'deny' | 'kill';
      rule: RuleId;
      reason: string;
      method?: string;
      tool?: string;
      /** Redacted detail: never an argument value or file content; paths are truncated and escaped. */
      detail?: string;
    }
  | {
      /** Content guards changed a server message (src/guards): counts only, never the secret. */
      event: 'redaction';
      direction: Direction;
      method?: string;
      /** Secret pattern id → number replaced by a marker. */
      secrets: Record<string, number>;
      /** Terminal escapes and bidi controls removed. */
      controls: number;
    }
  | {
      /**
       * A burst of non-JSON lines on the server's stdout, dropped (policy.strayOutput): counts only,
       * never the content. Written when the burst ends (a valid message, a quiet second, the session end).
       */
      event: 'protocol.stray-output';
      lines: number;
      bytes: number;
      /** Session totals so far, which the flood limit applies to. */
      totalLines: number;
      totalBytes: number;
    }
  | {
      /** The server exited before it answered initialize: a broken set-up, not an attack. */
      event: 'sandbox.startup-failed';
      pid: number;
      code: number | null;
      signal: string | null;
      /** Its last stderr lines (bounded, escaped, secrets redacted). */
      stderr: string[];
      /** What the stderr suggests went wrong and how to fix it, when recognisable. */
      hint?: string;
    }
  | { event: 'tool.pinned'; tool: string; sha256: string }
  | { event: 'tool.withheld'; tool: string; rule: RuleId; reason: string }
  | {
      /** A listed prompt, resource or template, or the initialize instructions, kept from the client. */
      event: 'definition.withheld';
      kind: 'prompt' | 'resource' | 'resource-template' | 'instructions';
      name: string;
      rule: RuleId;
      reason: string;
    }
  /** One connection through the egress proxy (src/network), when it ends. */
  | ConnectionEvent
  /** policy.approve (src/supervisor/approvals.ts): one event per question and per decision. */
  | ApprovalEvent;

/**
 * An approval step. `requested`: the warden asked the client (elicitation/create). The others are
 * decisions: `allowed-once` / `allowed-session` (the user accepted), `allowed-by-session` (an earlier
 * "allow for this session" covered it, nobody was asked), `allowed-by-fallback` (the client cannot ask
 * and approveFallback is "allow"), `declined` / `cancelled` / `timed-out` / `unavailable` (the client
 * cannot ask) / `failed` (the client answered with an error or nonsense), each also a deny verdict.
 * Never the arguments: only the tool, the matching approve entry and the path that matched it.
 */
export interface ApprovalEvent {
  event: 'approval';
  decision:
    | 'requested'
    | 'allowed-once'
    | 'allowed-session'
    | 'allowed-by-session'
    | 'allowed-by-fallback'
    | 'declined'
    | 'cancelled'
    | 'timed-out'
    | 'unavailable'
    | 'failed';
  tool: string;
  /** The policy.approve entry that matched, as the profile spells it. */
  entry: string;
  /** For a `paths` entry: the path that matched (redacted detail: truncated, escaped). */
  detail?: string;
  /** Milliseconds from the question to the answer (decisions on a question only). */
  waitedMs?: number;
  reason?: string;
}

/**
 * Make a short, single-line, escape-free string safe for logs: the same escaping as wire error
 * messages (control, bidi and line-separator characters), capped at `max` characters.
 */
export function redactDetail(value: string, max = 256): string {
  return sanitizeReason(value, max);
}
