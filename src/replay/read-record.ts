import { formatZodError } from '../config/format-zod-error.ts';
import type { JsonRpcMessage } from '../protocol/json-rpc.ts';
import { parseLine } from '../protocol/parse-line.ts';
import { isRecord } from '../util/is-record.ts';
import {
  type BodyLine,
  BodyLineSchema,
  HeaderSchema,
  RECORD_FORMAT,
  RECORD_VERSION,
  type RecordHeader,
} from './record-format.ts';

/** One body line of a recorded session, with its line number and, for messages, the parsed message. */
export interface RecordedEntry {
  /** 1-based line number in the file. */
  line: number;
  entry: BodyLine;
  /** For `message` and `own` lines: the message classified as JSON-RPC. */
  rpc?: JsonRpcMessage;
}

/** One session of a record: its header and the lines after it. */
export interface RecordedSession {
  file: string;
  /** Line number of the header. */
  line: number;
  header: RecordHeader;
  entries: RecordedEntry[];
}

/** Why a record cannot be replayed: where (line 0: the file as a whole) and what is wrong. */
export interface RecordProblem {
  file: string;
  line: number;
  problem: string;
  hint?: string;
}

export type ParsedRecord = { ok: true; sessions: RecordedSession[] } | { ok: false; error: RecordProblem };

/** Deepest nesting a recorded message may have: the policy schema's largest maxDepth. */
const MAX_DEPTH = 1000;

/**
 * Parse a record's text (record-format.ts). Every line is checked: JSON, its schema, a header first
 * and with the one format version this release reads, and every recorded message a valid JSON-RPC
 * message. The first problem is returned with its line number; blank lines are skipped. Pure.
 */
export function parseRecord(text: string, file: string): ParsedRecord {
  const sessions: RecordedSession[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.every((line) => line.trim() === '')) {
    return fail(
      file,
      0,
      'the file is empty: no session recorded',
      'record one with mcp-warden run --record FILE',
    );
  }
  let current: RecordedSession | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const line = i + 1;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      const cut = i === lines.length - 1 && !text.endsWith('\n');
      return fail(
        file,
        line,
        cut ? 'the last line is cut short (the writer stopped mid-line)' : 'not valid JSON',
        cut ? 'remove the partial last line to replay what is complete' : undefined,
      );
    }
    if (!isRecord(value)) return fail(file, line, 'not a JSON object');
    if (value.type === 'header') {
      const header = readHeader(value, file, line);
      if (!header.ok) return header;
      current = { file, line, header: header.header, entries: [] };
      sessions.push(current);
      continue;
    }
    if (current === undefined) {
      return fail(
        file,
        line,
        `expected a header line first ({"type":"header","format":"${RECORD_FORMAT}",...}), found ${describeType(value.type)}`,
        'replay reads files written by mcp-warden run --record FILE',
      );
    }
    const body = BodyLineSchema.safeParse(value);
    if (!body.success) return fail(file, line, formatZodError(body.error, '').replaceAll('\n', '; '));
    const entry: RecordedEntry = { line, entry: body.data };
    if (body.data.type === 'message' || body.data.type === 'own') {
      const parsed = parseLine(Buffer.from(JSON.stringify(body.data.message), 'utf8'), {
        maxDepth: MAX_DEPTH,
      });
      if (!parsed.ok) {
        return fail(
          file,
          line,
          `the recorded message is not a valid JSON-RPC message: ${parsed.empty ? 'empty' : parsed.reason}`,
        );
      }
      entry.rpc = parsed.message;
    }
    current.entries.push(entry);
  }
  return { ok: true, sessions };
}

function readHeader(
  value: Record<string, unknown>,
  file: string,
  line: number,
): { ok: true; header: RecordHeader } | { ok: false; error: RecordProblem } {
  if (value.format !== RECORD_FORMAT) {
    return fail(file, line, `the header's format is ${JSON.stringify(value.format)}, not "${RECORD_FORMAT}"`);
  }
  if (value.version !== RECORD_VERSION) {
    return fail(
      file,
      line,
      `format version ${JSON.stringify(value.version)} is not supported: this mcp-warden reads version ${RECORD_VERSION}`,
      `replay it with the mcp-warden that wrote it (header "warden": ${JSON.stringify(value.warden)}), or record the session again`,
    );
  }
  const parsed = HeaderSchema.safeParse(value);
  if (!parsed.success) {
    return fail(file, line, `invalid header: ${formatZodError(parsed.error, '').replaceAll('\n', '; ')}`);
  }
  return { ok: true, header: parsed.data };
}

function describeType(type: unknown): string {
  return typeof type === 'string' ? `a "${type.slice(0, 40)}" line` : 'a line without a type';
}

function fail(
  file: string,
  line: number,
  problem: string,
  hint?: string,
): { ok: false; error: RecordProblem } {
  return { ok: false, error: { file, line, problem, ...(hint === undefined ? {} : { hint }) } };
}
