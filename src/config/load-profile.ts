import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WardenError, errorMessage } from '../errors.ts';
import { formatZodError } from './format-zod-error.ts';
import { PolicySchema } from './policy-schema.ts';
import { ProfileSchema, type Profile } from './profile-schema.ts';

/** profiles/ at the package root; the same relative location from src/config and dist/config. */
export const PROFILES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'profiles',
);

/** Built-in profile names available as `--profile NAME`. `auto` is resolved by the CLI, not here. */
export const BUILTIN_PROFILES = ['none', 'bwrap'] as const;

/** Read a JSON file, turning every failure into a config error that names the file. */
export function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WardenError('config', `cannot read ${what} ${file}: ${errorMessage(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new WardenError('config', `${what} ${file} is not valid JSON: ${errorMessage(error)}`);
  }
}

/** True when the --profile value names a file rather than a built-in. */
export function isProfilePath(value: string): boolean {
  return value.includes('/') || value.endsWith('.json');
}

/**
 * Load a profile by built-in name or file path, optionally merging a policy file over its policy.
 * Objects merge key by key; arrays and scalars in the policy file replace the profile's.
 */
export function loadProfile(nameOrFile: string, policyFile?: string): Profile {
  let file: string;
  if (isProfilePath(nameOrFile)) {
    file = path.resolve(nameOrFile);
  } else if ((BUILTIN_PROFILES as readonly string[]).includes(nameOrFile)) {
    file = path.join(PROFILES_DIR, `${nameOrFile}.json`);
  } else {
    throw new WardenError('config', `unknown profile "${nameOrFile}"`, {
      hint: `use one of: auto, ${BUILTIN_PROFILES.join(', ')}, or a path to a profile JSON file`,
    });
  }
  const raw = readJsonFile(file, 'profile');
  if (!isPlainObject(raw)) throw new WardenError('config', `profile ${file}: must be a JSON object`);
  let merged: Record<string, unknown> = raw;
  if (policyFile !== undefined) {
    const policyPath = path.resolve(policyFile);
    const policyRaw = readJsonFile(policyPath, 'policy');
    const checked = PolicySchema.safeParse(policyRaw);
    if (!checked.success) {
      throw new WardenError(
        'config',
        `invalid policy file ${policyPath}:\n${formatZodError(checked.error, '')}`,
      );
    }
    merged = { ...raw, policy: mergeDeep(isPlainObject(raw.policy) ? raw.policy : {}, policyRaw) };
  }
  const parsed = ProfileSchema.safeParse(merged);
  if (!parsed.success) {
    throw new WardenError('config', `invalid profile ${file}:\n${formatZodError(parsed.error, '')}`);
  }
  return parsed.data;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merge `over` into `base` without mutating either; `__proto__` keys are copied as data, never as prototypes. */
function mergeDeep(base: Record<string, unknown>, over: unknown): Record<string, unknown> {
  if (!isPlainObject(over)) return base;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) Object.defineProperty(out, key, dataProperty(value));
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    const next = isPlainObject(current) && isPlainObject(value) ? mergeDeep(current, value) : value;
    Object.defineProperty(out, key, dataProperty(next));
  }
  return out;
}

function dataProperty(value: unknown): PropertyDescriptor {
  return { value, enumerable: true, writable: true, configurable: true };
}
