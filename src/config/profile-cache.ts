import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readCached, writeCached } from '../util/disk-cache.ts';
import { fastHashHex } from '../util/fast-hash.ts';
import type { Profile } from './profile-schema.ts';
import { readProfileSource } from './profile-source.ts';

// The schema modules' own source text is part of the cache key, so any change to a schema or a
// default (a new release, a local edit) invalidates every cached profile.
const SCHEMA_FILES = ['policy-schema', 'profile-schema', 'load-profile', 'severities'];

/**
 * loadProfile() for the start-up path: loading zod costs tens of milliseconds on every session, so a
 * validated profile is cached in the warden's cache directory, keyed by the exact profile and policy
 * texts and the schema's source. A miss (first run, an edited file, a new release) validates with zod.
 */
export async function loadProfileCached(
  nameOrFile: string,
  policyFile: string | undefined,
  cacheDir: string,
): Promise<Profile> {
  const source = readProfileSource(nameOrFile, policyFile);
  const key = [
    'profile',
    source.file,
    source.text,
    source.policyFile ?? '',
    source.policyText ?? '',
    schemaFingerprint(),
  ].join('\0');
  const cached = readCached<Profile>(cacheDir, key);
  if (cached !== undefined) return cached;
  const { validateProfileSource } = await import('./load-profile.ts');
  const profile = validateProfileSource(source);
  writeCached(cacheDir, key, profile);
  return profile;
}

let fingerprint: string | undefined;

function schemaFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  // A fast hash is enough: the schema sources change only with the package, not by an adversary's hand.
  fingerprint = fastHashHex(
    SCHEMA_FILES.map((name) =>
      readFileSync(path.join(import.meta.dirname, `${name}${extension}`), 'utf8'),
    ).join('\0'),
  );
  return fingerprint;
}
