import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../../src/config/load-profile.ts';
import { loadProfileCached } from '../../../src/config/profile-cache.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-profile-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadProfileCached', () => {
  it('returns exactly what loadProfile validates, from the cache on the second call', async () => {
    const cache = path.join(dir, 'c1');
    const first = await loadProfileCached('bwrap', undefined, cache);
    expect(first).toEqual(loadProfile('bwrap'));
    expect(readdirSync(path.join(cache, 'facts'))).toHaveLength(1);
    expect(await loadProfileCached('bwrap', undefined, cache)).toEqual(first);
  });

  it('hands out a fresh object each time, so callers applying CLI overrides cannot poison the cache', async () => {
    const cache = path.join(dir, 'c2');
    const a = await loadProfileCached('bwrap', undefined, cache);
    a.onServerBreach = 'restart';
    a.policy.tools.allow.push('evil');
    const b = await loadProfileCached('bwrap', undefined, cache);
    expect(b.onServerBreach).toBe('kill');
    expect(b.policy.tools.allow).toEqual(['*']);
  });

  it('revalidates when the profile or policy text changes, and never caches an invalid profile', async () => {
    const cache = path.join(dir, 'c3');
    const file = path.join(dir, 'p.json');
    writeFileSync(file, JSON.stringify({ name: 'p', backend: 'bwrap' }));
    expect((await loadProfileCached(file, undefined, cache)).network).toBe(false);
    writeFileSync(file, JSON.stringify({ name: 'p', backend: 'bwrap', network: 'yes' }));
    await expect(loadProfileCached(file, undefined, cache)).rejects.toThrow(/network/);
    await expect(loadProfileCached(file, undefined, cache)).rejects.toThrow(/network/);
    const policy = path.join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ name: 'p', backend: 'bwrap' }));
    writeFileSync(policy, JSON.stringify({ tools: { deny: ['x'] } }));
    expect((await loadProfileCached(file, policy, cache)).policy.tools.deny).toEqual(['x']);
    writeFileSync(policy, JSON.stringify({ tools: { deny: ['y'] } }));
    expect((await loadProfileCached(file, policy, cache)).policy.tools.deny).toEqual(['y']);
  });
});
