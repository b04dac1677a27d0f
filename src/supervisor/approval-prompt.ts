import { redactSecrets } from '../guards/redact-secrets.ts';
import { stripControls } from '../guards/strip-controls.ts';
import { sanitizeReason } from '../protocol/wire-errors.ts';
import { isRecord } from '../util/is-record.ts';

/** What the user is shown for one call that needs approval. */
export interface CallToDescribe {
  /** The server as the user configured it (trusted: from the command line or the gateway config). */
  serverLabel: string;
  /** The name the server gives itself (untrusted: quoted and clipped). */
  serverName: string | undefined;
  tool: string;
  args: unknown;
  /** The policy.approve entry that matched. */
  entry: string;
  /** The path that matched a `paths` entry. */
  path: string | undefined;
  timeoutMs: number;
}

/** Arguments shown, one line each; the rest are counted. */
const MAX_ARGUMENTS = 12;
/** Characters of one argument's value shown (JSON-encoded, after redaction). */
const MAX_VALUE_CHARS = 300;
/** Characters of a value the redaction looks at (see safe()). */
const REDACTION_WINDOW = 64 * 1024;

/**
 * The elicitation message: the server, the tool, its arguments one per line (JSON-encoded so a line
 * break in a value cannot forge a line of the prompt; secrets redacted like server output; terminal
 * escapes, bidi and invisible characters removed, other controls escaped; each value clipped), the
 * rule that asked, and how long the question stays open. The arguments come from the client's model,
 * which may be prompt-injected: everything from them is shown as data, never as prose.
 */
export function describeCall(call: CallToDescribe): string {
  const server =
    call.serverName === undefined
      ? safe(call.serverLabel, 200)
      : `${safe(call.serverLabel, 200)} (it calls itself ${JSON.stringify(safe(call.serverName, 64))})`;
  const lines = [
    'mcp-warden: a tool call needs your approval before it reaches the server.',
    `Server: ${server}`,
    `Tool: ${safe(call.tool, 128)}`,
    ...describeArguments(call.args),
    `Asked because of policy.approve ${safe(call.entry, 300)}${call.path === undefined ? '' : ` (path ${safe(call.path, 300)})`}.`,
    `Unanswered after ${Math.round(call.timeoutMs / 1000)} s, the call is denied.`,
  ];
  return lines.join('\n');
}

function describeArguments(args: unknown): string[] {
  if (args === undefined) return ['Arguments: none'];
  if (!isRecord(args)) return [`Arguments: ${shown(args)}`];
  const keys = Object.keys(args);
  if (keys.length === 0) return ['Arguments: none'];
  const lines = ['Arguments:'];
  for (const key of keys.slice(0, MAX_ARGUMENTS)) lines.push(`  ${safe(key, 64)}: ${shown(args[key])}`);
  if (keys.length > MAX_ARGUMENTS) lines.push(`  … and ${keys.length - MAX_ARGUMENTS} more`);
  return lines;
}

/** One value as JSON, redacted and made safe, with its full length when clipped. */
function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  const text = safe(json, MAX_VALUE_CHARS);
  return json.length > MAX_VALUE_CHARS ? `${text} (${json.length} characters in all)` : text;
}

/** Secrets replaced by their marker, escapes and invisible characters removed, controls escaped, clipped. */
function safe(text: string, max: number): string {
  // Far more than is shown, and more than any credential (a private key block is a few KiB) is long,
  // so a secret straddling the cut is still seen whole by the redaction.
  const head = text.length > REDACTION_WINDOW ? text.slice(0, REDACTION_WINDOW) : text;
  const redacted = redactSecrets(head)?.text ?? head;
  const stripped = stripControls(redacted)?.text ?? redacted;
  return sanitizeReason(stripped, max);
}
