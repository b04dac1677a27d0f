import { classifyMessage, validJsonRpcId } from './json-rpc.ts';
import type { JsonRpcId, JsonRpcMessage } from './json-rpc.ts';
import { IdSniffer } from './id-sniffer.ts';
import { scanJson } from './json-scan.ts';

/**
 * Outcome of {@link parseLine}. On failure, `id` is the message's id when parsing got far enough to
 * read a valid one (string ≤ 256 chars or safe integer), else undefined (answer with id null).
 */
export type ParseLineResult =
  | { ok: true; message: JsonRpcMessage; value: Record<string, unknown>; text: string }
  | { ok: false; empty: true }
  | {
      ok: false;
      empty?: false;
      rule: 'protocol.invalid-json' | 'protocol.invalid-message';
      reason: string;
      id: JsonRpcId | undefined;
      /**
       * The line is not JSON at all and does not try to be a JSON-RPC message: valid UTF-8 without a
       * BOM, rejected by JSON.parse, and without `"jsonrpc"` in it (a forgotten console.log, a banner).
       * A server's stray line may be dropped instead of treated as a breach (policy.strayOutput).
       */
      stray?: true;
    };

const MAX_ECHO = 80;
const BATCH = 'batches (JSON arrays) are not supported by MCP';

// fatal: invalid UTF-8 (overlong forms, surrogates, truncated sequences) throws instead of becoming
// U+FFFD. ignoreBOM: keep a BOM in the output so it can be rejected rather than silently dropped.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const WHITESPACE_ONLY = /^[ \t\r\n]*$/;
const JSONRPC_KEY = '"jsonrpc"';

/**
 * Decode and validate one framed line as a single JSON-RPC message.
 *
 * `value` is the raw JSON.parse result (what the server or client will see); `message` is the
 * schema-validated view; `text` is the decoded line (callers pre-check it instead of decoding the
 * line again). Lines that would parse differently elsewhere are rejected: invalid UTF-8, a BOM,
 * duplicate keys, and `__proto__` keys (JSON.parse makes them own properties, but object-building
 * code, zod included, drops or misapplies them, so policy would not see them).
 *
 * Checks, first failure wins: UTF-8, BOM, whitespace-only (empty), nesting depth (before JSON.parse,
 * see below), JSON syntax, batch, non-object, duplicate key, `__proto__` key, JSON-RPC shape.
 *
 * @returns `{ok: false, empty: true}` for a whitespace-only line, which callers ignore.
 */
export function parseLine(line: Buffer, options: { maxDepth: number }): ParseLineResult {
  let text: string;
  try {
    text = decoder.decode(line);
  } catch {
    return invalidJson('invalid UTF-8');
  }
  if (text.charCodeAt(0) === 0xfeff) return invalidJson('byte order mark');
  if (WHITESPACE_ONLY.test(text)) return { ok: false, empty: true };

  // Scan before parsing: V8's JSON.parse needs seconds for 16 MB of nested brackets, so a line that
  // is too deep is rejected without parsing it. Such a line is reported as too deep (or as a batch)
  // even if it is also invalid JSON or has duplicate keys.
  const scan = scanJson(text);
  if (scan.maxDepth > options.maxDepth) {
    return text.trimStart().startsWith('[')
      ? invalidMessage(BATCH, undefined)
      : invalidMessage(`nesting deeper than ${options.maxDepth}`, sniffId(line));
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const failed = invalidJson(describeParseError(error));
    // A malformed line that names "jsonrpc" (two objects on a line, a cut-off message) is a message
    // gone wrong, possibly on purpose, so it stays a violation; plain text is only noise.
    return text.includes(JSONRPC_KEY) ? failed : { ...failed, stray: true };
  }
  if (Array.isArray(parsed)) return invalidMessage(BATCH, undefined);
  if (typeof parsed !== 'object' || parsed === null) return invalidMessage('not a JSON object', undefined);
  const value = parsed as Record<string, unknown>;
  const id = Object.hasOwn(value, 'id') ? validJsonRpcId(value.id) : undefined;

  // The scan is exact now that JSON.parse has accepted the text.
  if (scan.duplicateKey !== undefined) {
    return invalidMessage(`duplicate key ${quote(scan.duplicateKey)}`, id);
  }
  if (scan.protoKey) return invalidMessage('key "__proto__" is not allowed', id);

  const classified = classifyMessage(value);
  if (!classified.ok) return invalidMessage(classified.reason, id);
  return { ok: true, message: classified.value, value, text };
}

function sniffId(line: Buffer): JsonRpcId | undefined {
  const sniffer = new IdSniffer();
  sniffer.push(line);
  return sniffer.result();
}

function invalidJson(reason: string): Extract<ParseLineResult, { rule: string }> {
  return { ok: false, rule: 'protocol.invalid-json', reason, id: undefined };
}

function invalidMessage(reason: string, id: JsonRpcId | undefined): ParseLineResult {
  return { ok: false, rule: 'protocol.invalid-message', reason, id };
}

function describeParseError(error: unknown): string {
  // V8's message quotes a snippet of the input, which may be file contents or a secret: it must never
  // reach the audit log or the client. Keep only where the syntax broke.
  const message = error instanceof Error ? error.message : '';
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return `invalid JSON: syntax error at character ${position}`;
  if (/unexpected end/i.test(message)) return 'invalid JSON: unexpected end of input';
  return 'invalid JSON: syntax error';
}

function quote(key: string): string {
  return JSON.stringify(truncate(key));
}

function truncate(text: string): string {
  return text.length <= MAX_ECHO ? text : `${text.slice(0, MAX_ECHO - 1)}…`;
}
