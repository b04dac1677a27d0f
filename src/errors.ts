/**
 * The one error class of mcp-warden. `code` is stable and maps to an exit status in src/cli/exit-codes.ts.
 * Expected outcomes (verdicts, config parse results) are discriminated unions, not exceptions.
 */
export type WardenErrorCode =
  | 'usage' // bad command line
  | 'config' // invalid profile / policy file
  | 'backend-unavailable' // the chosen sandbox backend cannot run here
  | 'launch-failed' // the backend could not start the server
  | 'resolve-failed' // the server command could not be resolved (missing file, npx install failed)
  | 'audit' // the audit log cannot be written or verified
  | 'internal';

export interface WardenErrorOptions {
  cause?: unknown;
  /** Human hint: how to fix it (printed after the message). */
  hint?: string;
  exitCode?: number;
  signal?: string;
  timedOut?: boolean;
}

export class WardenError extends Error {
  readonly code: WardenErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean | undefined;

  constructor(code: WardenErrorCode, message: string, options: WardenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WardenError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode;
    this.signal = options.signal;
    this.timedOut = options.timedOut;
  }
}

/** Narrow an unknown thrown value to a message string without losing non-Error throws. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
