// Content guards and tool pinning are on by default in every profile: turning one off must be a
// visible, deliberate diff.
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, loadProfile } from '../../src/config/load-profile.ts';
import { PolicySchema } from '../../src/config/policy-schema.ts';
import { SECRET_PATTERNS } from '../../src/guards/secret-patterns.ts';

describe('pinned guard defaults', () => {
  it('policy.guards defaults', () => {
    expect(PolicySchema.parse({}).guards).toEqual({
      redactSecrets: true,
      stripControls: true,
      poisonedTools: 'high',
      pinTools: true,
    });
  });

  it('every built-in profile keeps them on', () => {
    for (const name of BUILTIN_PROFILES) {
      expect(loadProfile(name).policy.guards, name).toEqual(PolicySchema.parse({}).guards);
    }
  });

  it('secret pattern ids', () => {
    expect(SECRET_PATTERNS.map((p) => p.id)).toEqual([
      'private-key',
      'aws-access-key-id',
      'aws-secret-access-key',
      'github-token',
      'gitlab-token',
      'slack-token',
      'google-api-key',
      'stripe-key',
      'anthropic-api-key',
      'openai-api-key',
      'npm-token',
      'jwt',
      'connection-string-password',
    ]);
  });
});
