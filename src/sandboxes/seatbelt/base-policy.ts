import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WardenError, errorMessage } from '../../errors.ts';

/** policy.sb at the package root; the same relative location from src/sandboxes/seatbelt and dist/. */
export const POLICY_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'policy.sb',
);

let cached: string | undefined;

/** The text of policy.sb, read once. Throws WardenError('internal') when the package lacks it. */
export function readBasePolicy(): string {
  if (cached !== undefined) return cached;
  try {
    cached = readFileSync(POLICY_FILE, 'utf8');
  } catch (error) {
    throw new WardenError(
      'internal',
      `cannot read the Seatbelt base profile ${POLICY_FILE}: ${errorMessage(error)}`,
      {
        hint: 'reinstall mcp-warden: policy.sb ships with the package',
      },
    );
  }
  return cached;
}
