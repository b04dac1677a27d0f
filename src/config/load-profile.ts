import { WardenError } from '../errors.ts';
import { isRecord } from '../util/is-record.ts';
import { formatZodError } from './format-zod-error.ts';
import { PolicySchema } from './policy-schema.ts';
import { ProfileSchema, type Profile } from './profile-schema.ts';
import { parseJsonText, readProfileSource, type ProfileSource } from './profile-source.ts';

export { BUILTIN_PROFILES, PROFILES_DIR, isProfilePath } from './profile-source.ts';

/**
 * Load a profile by built-in name or file path, optionally merging a policy file over its policy.
 * Objects merge key by key; arrays and scalars in the policy file replace the profile's.
 */
export function loadProfile(nameOrFile: string, policyFile?: string): Profile {
  return validateProfileSource(readProfileSource(nameOrFile, policyFile));
}

/** Validate already-read profile and policy texts with the zod schemas. Throws config errors naming the path. */
export function validateProfileSource(source: ProfileSource): Profile {
  const { file } = source;
  const raw = parseJsonText(source.text, file, 'profile');
  if (!isRecord(raw)) throw new WardenError('config', `profile ${file}: must be a JSON object`);
  let merged: Record<string, unknown> = raw;
  if (source.policyFile !== undefined && source.policyText !== undefined) {
    const policyRaw = parseJsonText(source.policyText, source.policyFile, 'policy');
    const checked = PolicySchema.safeParse(policyRaw);
    if (!checked.success) {
      throw new WardenError(
        'config',
        `invalid policy file ${source.policyFile}:\n${formatZodError(checked.error, '')}`,
      );
    }
    merged = { ...raw, policy: mergeDeep(isRecord(raw.policy) ? raw.policy : {}, policyRaw) };
  }
  const parsed = ProfileSchema.safeParse(merged);
  if (!parsed.success) {
    throw new WardenError('config', `invalid profile ${file}:\n${formatZodError(parsed.error, '')}`);
  }
  return parsed.data;
}

/** Merge `over` into `base` without mutating either; `__proto__` keys are copied as data, never as prototypes. */
function mergeDeep(base: Record<string, unknown>, over: unknown): Record<string, unknown> {
  if (!isRecord(over)) return base;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) Object.defineProperty(out, key, dataProperty(value));
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    const next = isRecord(current) && isRecord(value) ? mergeDeep(current, value) : value;
    Object.defineProperty(out, key, dataProperty(next));
  }
  return out;
}

function dataProperty(value: unknown): PropertyDescriptor {
  return { value, enumerable: true, writable: true, configurable: true };
}
