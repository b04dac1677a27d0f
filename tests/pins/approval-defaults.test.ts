// Approval defaults (policy.approve): widening one of these is a visible, deliberate diff.
import { describe, expect, it } from 'vitest';
import { PolicySchema } from '../../src/config/policy-schema.ts';
import { WARDEN_CLIENT_REQUEST_PREFIX } from '../../src/protocol/warden-ids.ts';
import { APPROVAL_CHOICES } from '../../src/supervisor/approvals.ts';

describe('approval defaults', () => {
  it('nothing needs approval, a client that cannot ask is denied, the user has 120 s', () => {
    const policy = PolicySchema.parse({});
    expect({
      approve: policy.approve,
      approveFallback: policy.approveFallback,
      approveTimeoutMs: policy.approveTimeoutMs,
    }).toEqual({ approve: [], approveFallback: 'deny', approveTimeoutMs: 120_000 });
  });

  it('the choices offered and the reserved id prefix', () => {
    expect(APPROVAL_CHOICES).toEqual({
      once: 'allow once',
      session: 'allow for this session',
      deny: 'deny',
    });
    expect(WARDEN_CLIENT_REQUEST_PREFIX).toBe('mcp-warden-approval-');
  });
});
