import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The version of this mcp-warden, from its package.json (two levels up from src/replay and
 * dist/replay alike). "unknown" when it cannot be read: a record still says who wrote it as well as it can.
 */
export function wardenVersion(): string {
  try {
    const manifest = JSON.parse(
      readFileSync(path.resolve(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
    ) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
