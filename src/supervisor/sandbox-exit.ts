import type { Writable } from 'node:stream';
import type { AuditLog } from '../audit/audit-log.ts';
import type { RuleId } from '../policy/types.ts';
import type { ExitInfo } from '../sandboxes/types.ts';
import type { SandboxLink } from './sandbox-link.ts';
import { describeStartupFailure, startupHint } from './startup-hint.ts';

/** What a sandbox's exit means to its session. */
export type SandboxExit =
  /** The warden stopped it (or it is no longer the current sandbox): nothing to do. */
  | { kind: 'expected' }
  /** It exited before it answered initialize: a broken set-up, not an attack. */
  | { kind: 'startup' }
  /** It exited on its own, or a resource limit stopped it, while serving: a server breach. */
  | { kind: 'breach'; rule: RuleId; reason: string };

/**
 * Judge an exit. `expected`: the warden was stopping this sandbox, or it is no longer the current
 * one; `started`: it had answered initialize. A limit hit during start-up is still a limit.
 */
export function judgeExit(info: ExitInfo, expected: boolean, started: boolean): SandboxExit {
  if (expected) return { kind: 'expected' };
  if (info.limit) {
    return {
      kind: 'breach',
      rule: 'sandbox.limit',
      reason: `server stopped by its ${info.limit.kind} limit: ${info.limit.detail}`,
    };
  }
  if (!started) return { kind: 'startup' };
  const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`;
  return { kind: 'breach', rule: 'sandbox.exited', reason: `server exited with ${how}` };
}

/** The sandbox.stop event of an exit; `stopReason` is why the warden stopped it, when it did. */
export function auditStop(
  audit: AuditLog,
  pid: number,
  info: ExitInfo,
  exit: SandboxExit,
  stopReason: string,
): void {
  audit.write({
    event: 'sandbox.stop',
    pid,
    code: info.code,
    signal: info.signal,
    reason:
      exit.kind === 'expected'
        ? stopReason
        : exit.kind === 'startup'
          ? 'the server exited during start-up'
          : 'the server exited on its own',
    ...(info.limit ? { limit: info.limit.kind, detail: info.limit.detail } : {}),
  });
}

/**
 * Tell the user and the audit log that the server exited during start-up, with its last stderr lines
 * and a hint when they are recognised. Returns the reason, for the session's answers.
 */
export function reportStartupFailure(
  audit: AuditLog,
  serverLog: Writable,
  link: SandboxLink,
  info: ExitInfo,
): string {
  const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`;
  const reason = `server exited during start-up with ${how}`;
  const stderr = link.stderrTail();
  const hint = startupHint(stderr);
  audit.write({
    event: 'sandbox.startup-failed',
    pid: link.pid,
    code: info.code,
    signal: info.signal,
    stderr,
    ...(hint === undefined ? {} : { hint }),
  });
  serverLog.write(describeStartupFailure(reason, stderr, hint));
  return reason;
}
