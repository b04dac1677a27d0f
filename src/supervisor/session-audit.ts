import type { AuditLog } from '../audit/audit-log.ts';
import type { Direction, RuleId, ToolsReview, WithheldDefinition } from '../policy/types.ts';
import type { SessionState } from './session-state.ts';

/** A deny or kill as the audit log records it. */
export interface AuditedVerdict {
  action: 'deny' | 'kill';
  rule: RuleId;
  reason: string;
  detail?: string;
}

/** One `verdict` event. */
export function auditVerdict(
  audit: AuditLog,
  direction: Direction,
  verdict: AuditedVerdict,
  method?: string,
  tool?: string,
): void {
  audit.write({
    event: 'verdict',
    direction,
    action: verdict.action,
    rule: verdict.rule,
    reason: verdict.reason,
    ...(method === undefined ? {} : { method }),
    ...(tool === undefined ? {} : { tool }),
    ...(verdict.detail === undefined ? {} : { detail: verdict.detail }),
  });
}

/** One event per prompt, resource, template or instructions the policy kept from the client. */
export function auditWithheld(audit: AuditLog, withheld: readonly WithheldDefinition[]): void {
  for (const { kind, name, rule, reason } of withheld) {
    audit.write({ event: 'definition.withheld', kind, name, rule, reason });
  }
}

/**
 * The events of a tools/list review, against what `state` holds before the review is applied: one per
 * newly withheld tool (or one withheld for another reason) and one per newly pinned tool.
 */
export function auditToolsReview(audit: AuditLog, state: SessionState, review: ToolsReview): void {
  for (const [tool, why] of review.withhold) {
    if (state.withheld.get(tool)?.reason === why.reason) continue;
    audit.write({ event: 'tool.withheld', tool, rule: why.rule, reason: why.reason });
  }
  for (const [tool, sha256] of review.pin) {
    if (!state.pins.has(tool)) audit.write({ event: 'tool.pinned', tool, sha256 });
  }
}
