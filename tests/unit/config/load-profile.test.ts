import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROFILES_DIR, loadProfile } from '../../../src/config/load-profile.ts';
import { ProfileSchema } from '../../../src/config/profile-schema.ts';
import { WardenError } from '../../../src/errors.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WardenError);
    expect((error as WardenError).code).toBe('config');
    return (error as Error).message;
  }
  throw new Error('expected a config error');
}

describe('loadProfile', () => {
  it('loads every built-in profile file', () => {
    expect(loadProfile('bwrap').backend).toBe('bwrap');
    expect(loadProfile('none').backend).toBe('none');
  });

  it('fills safe defaults', () => {
    const profile = loadProfile('bwrap');
    expect(profile.network).toBe(false);
    expect(profile.onServerBreach).toBe('kill');
    expect(profile.onClientBreach).toBe('deny');
    expect(profile.policy.tools.allow).toEqual(['*']);
  });

  it('rejects unknown names with the list of valid ones', () => {
    expect(configError(() => loadProfile('gvisr'))).toMatch(/unknown profile "gvisr"/);
  });

  it('names the exact location of a bad field, and misspelt security keys fail loudly', () => {
    const bad = file('bad.json', { name: 'x', backend: 'bwrap', policy: { tools: { allow: ['ok', 7] } } });
    expect(configError(() => loadProfile(bad))).toContain('policy.tools.allow[1]');
    const typo = file('typo.json', { name: 'x', backend: 'bwrap', policy: { tool: { deny: ['*'] } } });
    expect(configError(() => loadProfile(typo))).toMatch(/policy.*tool/);
  });

  it('reports invalid JSON with the file name', () => {
    const broken = file('broken.json', '{ "name": ');
    expect(configError(() => loadProfile(broken))).toContain('broken.json is not valid JSON');
  });

  it('merges a policy file over the profile: objects by key, arrays replaced', () => {
    const policy = file('policy.json', { tools: { deny: ['delete_*'] }, limits: { argumentBytes: 2048 } });
    const profile = loadProfile('bwrap', policy);
    expect(profile.policy.tools.deny).toEqual(['delete_*']);
    expect(profile.policy.tools.allow).toEqual(['*']);
    expect(profile.policy.limits.argumentBytes).toBe(2048);
    expect(profile.limits.tmpfsMb).toBe(256);
  });

  it('validates the policy file on its own and names it', () => {
    const policy = file('bad-policy.json', { limits: { argumentBytes: 'big' } });
    const message = configError(() => loadProfile('bwrap', policy));
    expect(message).toContain('bad-policy.json');
    expect(message).toContain('limits.argumentBytes');
  });

  it('treats __proto__ in a policy file as data, never as a prototype', () => {
    const policy = file('proto.json', '{"__proto__": {"polluted": true}, "tools": {"deny": ["x"]}}');
    expect(configError(() => loadProfile('bwrap', policy))).toMatch(/__proto__|Unrecognized/i);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps profiles/schema.json in sync with the zod schema', () => {
    const schema = JSON.parse(readFileSync(path.join(PROFILES_DIR, 'schema.json'), 'utf8')) as {
      properties: Record<string, unknown>;
    };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(ProfileSchema.shape).sort());
  });
});
