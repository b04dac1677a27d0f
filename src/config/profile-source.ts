import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WardenError, errorMessage } from '../errors.ts';

// No zod here: this module is on the start-up path of every session (see profile-cache.ts).

/** profiles/ at the package root; the same relative location from src/config and dist/config. */
export const PROFILES_DIR = path.resolve(import.meta.dirname, '..', '..', 'profiles');

/** Built-in profile names available as `--profile NAME`. `auto` is resolved by the CLI, not here. */
export const BUILTIN_PROFILES = ['none', 'bwrap', 'docker', 'gvisor', 'seatbelt', 'isolate'] as const;

/** Profiles the design names that this release does not ship yet (DESIGN.md, Profiles). */
export const PLANNED_PROFILES = [] as const;

/** The raw inputs of a profile: the profile file and an optional policy file, as read from disk. */
export interface ProfileSource {
  file: string;
  text: string;
  policyFile: string | undefined;
  policyText: string | undefined;
}

/** True when the --profile value names a file rather than a built-in. */
export function isProfilePath(value: string): boolean {
  return value.includes('/') || value.endsWith('.json');
}

/** Locate and read a profile (built-in name or file path) and an optional policy file. Throws config errors. */
export function readProfileSource(nameOrFile: string, policyFile?: string): ProfileSource {
  let file: string;
  if (isProfilePath(nameOrFile)) {
    file = path.resolve(nameOrFile);
  } else if ((BUILTIN_PROFILES as readonly string[]).includes(nameOrFile)) {
    file = path.join(PROFILES_DIR, `${nameOrFile}.json`);
  } else if ((PLANNED_PROFILES as readonly string[]).includes(nameOrFile)) {
    throw new WardenError(
      'backend-unavailable',
      `the ${nameOrFile} profile is not implemented in this release`,
      {
        hint: 'use --profile bwrap (Linux), or --profile none to run without isolation; mcp-warden doctor lists what works here',
      },
    );
  } else {
    throw new WardenError('config', `unknown profile "${nameOrFile}"`, {
      hint: `use one of: auto, ${BUILTIN_PROFILES.join(', ')}, or a path to a profile JSON file`,
    });
  }
  const policyPath = policyFile === undefined ? undefined : path.resolve(policyFile);
  return {
    file,
    text: readText(file, 'profile'),
    policyFile: policyPath,
    policyText: policyPath === undefined ? undefined : readText(policyPath, 'policy'),
  };
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new WardenError('config', `cannot read ${what} ${file}: ${errorMessage(error)}`);
  }
}

/** Parse JSON text, turning a syntax error into a config error that names the file. */
export function parseJsonText(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new WardenError('config', `${what} ${file} is not valid JSON: ${errorMessage(error)}`);
  }
}
