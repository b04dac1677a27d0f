import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatZodError } from '../config/format-zod-error.ts';
import { WardenError, errorMessage } from '../errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

const Sha256 = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex')
  .describe('sha256 of the canonical JSON');

const PinSchema = z
  .object({ sha256: Sha256 })
  .strict()
  .describe('The approved definition, by hash of its canonical JSON');

const PinMap = z.record(z.string(), PinSchema).default({});

/**
 * The lock file `mcp-warden scan` writes: the approved hash of every tool, prompt and resource definition
 * of one server. `run` withholds a tool whose definition differs (rule tool.definition-changed).
 */
export const LockFileSchema = z
  .object({
    $comment: z.string().optional().describe('Free text for humans'),
    version: z.literal(1).describe('Lock file format version'),
    command: z.array(z.string()).describe('The server command that was scanned (informational)'),
    tools: PinMap.describe('Tool name → pin'),
    prompts: PinMap.describe('Prompt name → pin'),
    resources: PinMap.describe('Resource URI (or URI template) → pin'),
  })
  .strict();

export type LockFile = z.infer<typeof LockFileSchema>;

/** Parse and validate a lock file's text; throws a config error naming the file and the path. */
export function parseLockText(text: string, file: string): LockFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new WardenError('config', `lock file ${file}: not valid JSON: ${errorMessage(error)}`);
  }
  const parsed = LockFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new WardenError('config', `invalid lock file ${file}:\n${formatZodError(parsed.error, '')}`, {
      hint: 'write a fresh one with mcp-warden scan --update',
    });
  }
  return parsed.data;
}

/** Read a lock file; undefined when it does not exist. Throws a config error when it is invalid. */
export function readLockFile(file: string): LockFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WardenError('config', `lock file ${file}: ${errorMessage(error)}`);
  }
  return parseLockText(text, file);
}

/** Write a lock file atomically, keys sorted so diffs stay small. */
export function writeLockFile(file: string, lock: LockFile): void {
  const sorted = (pins: LockFile['tools']): LockFile['tools'] =>
    Object.fromEntries(Object.entries(pins).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const out: LockFile = {
    $comment:
      'mcp-warden scan: approved tool/prompt/resource definitions. Re-approve changes with scan --update.',
    version: 1,
    command: lock.command,
    tools: sorted(lock.tools),
    prompts: sorted(lock.prompts),
    resources: sorted(lock.resources),
  };
  writeFileAtomic(file, `${JSON.stringify(out, null, 2)}\n`, { mode: 0o644 });
}

/** The tool pins of a lock as the policy context wants them: name → sha256. */
export function toolPins(lock: LockFile): Map<string, string> {
  return new Map(Object.entries(lock.tools).map(([name, pin]) => [name, pin.sha256]));
}
