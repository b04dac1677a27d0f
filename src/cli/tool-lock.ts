import { WardenError } from '../errors.ts';
import { readLockFile, toolPins } from '../scan/lock-file.ts';

/**
 * The tool pins `run` enforces: from `--lock FILE` (or policy.guards.lockFile) when given — the file
 * must exist — else none (pins are then learned at the session's first tools/list).
 */
export function loadToolLock(file: string | undefined): { lock?: ReadonlyMap<string, string> } {
  if (file === undefined) return {};
  const lock = readLockFile(file);
  if (!lock) {
    throw new WardenError('config', `lock file ${file} does not exist`, {
      hint: `create it with mcp-warden scan --lock ${file} -- COMMAND...`,
    });
  }
  return { lock: toolPins(lock) };
}
