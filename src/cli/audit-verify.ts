import { readFileSync } from 'node:fs';
import { verifyAuditLog } from '../audit/verify.ts';
import { WardenError, errorMessage } from '../errors.ts';
import { EXIT } from './exit-codes.ts';
import { say } from './output.ts';

/** `mcp-warden audit verify FILE`: exit 0 when the chain is intact, 1 with the first bad line otherwise. */
export function auditCommand(argv: readonly string[]): number {
  const [sub, file, ...rest] = argv;
  if (sub !== 'verify' || file === undefined || rest.length > 0) {
    throw new WardenError('usage', 'usage: mcp-warden audit verify FILE');
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WardenError('usage', `cannot read ${file}: ${errorMessage(error)}`);
  }
  const result = verifyAuditLog(text);
  if (result.ok) {
    say(`ok: ${result.events} events, ${result.sessions} sessions, hash chain intact`);
    return EXIT.ok;
  }
  say(`FAILED at line ${result.line}: ${result.problem}`);
  return EXIT.failure;
}
