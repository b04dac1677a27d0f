import { WardenError } from '../errors.ts';

/**
 * The only place CLI commands write human output. `say` is for commands whose stdout is theirs
 * (doctor, explain, audit verify); `run` never calls it: its stdout is the MCP channel.
 */
export function say(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`); // stdout-ok: not used by `run`
}

/** A message for the user on stderr, prefixed so it stands out in a client's log. */
export function warn(text: string): void {
  process.stderr.write(`mcp-warden: ${text}\n`);
}

/** Format an error for stderr: what went wrong, then how to fix it. */
export function describeError(error: unknown): string {
  if (error instanceof WardenError) {
    return error.hint ? `${error.message}\n  fix: ${error.hint}` : error.message;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
