import { z } from 'zod';

/**
 * The format of `run --record FILE` (docs/least-privilege.md, "record and replay"): JSON Lines, one
 * object per line. A session starts with a `header` line; the lines after it, up to the next header
 * or the end of the file, are that session's, in the order the warden saw them. A file may hold
 * several sessions (a client that starts the server again appends to the same file).
 * These schemas are the single source of truth for the reader; the writer builds the same shapes.
 */

/** The `format` value of every header. */
export const RECORD_FORMAT = 'mcp-warden-record';
/** The one format version this release writes and reads. */
export const RECORD_VERSION = 1;

const count = z.number().int().min(0);
const absolute = z.string().startsWith('/', 'must be an absolute path');

/** Where a record came from: enough to know what the recorded verdicts were decided under. */
export const HeaderSchema = z
  .object({
    type: z.literal('header'),
    format: z.literal(RECORD_FORMAT).describe('Always "mcp-warden-record"'),
    version: z.literal(RECORD_VERSION).describe('Format version; readers refuse versions they do not know'),
    time: z.iso.datetime().describe('When the session started (UTC, ISO 8601)'),
    warden: z.string().min(1).describe('Version of the mcp-warden that recorded it'),
    session: z.string().min(1).describe('The session id, as in the audit log'),
    profile: z
      .object({
        name: z.string().min(1),
        backend: z.string().min(1),
        sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
          .describe('sha256 of the effective profile (after --policy and command-line overrides) as JSON'),
      })
      .strict()
      .describe('The profile the recorded verdicts were decided under'),
    roots: z
      .array(z.object({ path: absolute, realPath: absolute, readOnly: z.boolean() }).strict())
      .describe('The --root values of the session; replay uses them unless given its own --root'),
    allowHost: z
      .array(z.string())
      .describe('The --allow-host values of the session; replay uses them unless given its own'),
    contents: z.boolean().describe('true: recorded with --record-contents (file contents kept)'),
    command: z.array(z.string()).describe('The server command, secrets redacted'),
  })
  .strict();

/** A verdict as recorded: allow, or the rule that denied or killed. */
export const RecordedVerdictSchema = z.union([
  z.object({ action: z.literal('allow') }).strict(),
  z.object({ action: z.enum(['deny', 'kill']), rule: z.string().min(1), reason: z.string() }).strict(),
]);

/** A message that parsed, as it arrived (redacted), with the verdict it got. */
export const MessageLineSchema = z
  .object({
    type: z.literal('message'),
    seq: count.describe('Position in the session, from 1, shared by every line kind'),
    t: z.number().min(0).describe('Milliseconds since the session started'),
    direction: z.enum(['client', 'server']).describe('client: client→server; server: server→client'),
    bytes: count.describe('Size of the line as it arrived, before redaction'),
    message: z.record(z.string(), z.unknown()).describe('The JSON-RPC message, redacted'),
    verdict: RecordedVerdictSchema,
    secrets: z
      .record(z.string(), count)
      .optional()
      .describe('Secret pattern id → number replaced by a marker in this line'),
    dropped: count
      .optional()
      .describe('Number of file-content bodies replaced by a marker (no --record-contents)'),
  })
  .strict();

/** A line that did not parse (or passed the size cap): only its rule and reason were recorded. */
export const InvalidLineSchema = z
  .object({
    type: z.literal('invalid'),
    seq: count,
    t: z.number().min(0),
    direction: z.enum(['client', 'server']),
    rule: z.string().min(1),
    reason: z.string(),
  })
  .strict();

/** A message the warden sent itself: an answer to the client, or its own request to the server. */
export const OwnLineSchema = z
  .object({
    type: z.literal('own'),
    seq: count,
    t: z.number().min(0),
    to: z.enum(['client', 'server']),
    message: z.record(z.string(), z.unknown()),
  })
  .strict();

/** One connection through the session's egress proxy (src/network/connection-event.ts). */
export const NetworkLineSchema = z
  .object({
    type: z.literal('network'),
    seq: count,
    t: z.number().min(0),
    connection: z
      .object({
        protocol: z.enum(['http', 'connect', 'socks5']),
        host: z.string().min(1),
        port: z.number().int().min(0).max(65535),
        address: z.string().optional(),
        verdict: z.enum(['allow', 'deny', 'cut', 'error']),
        rule: z.string().optional(),
        reason: z.string().optional(),
        bytesOut: count,
        bytesIn: count,
        durationMs: z.number().min(0),
      })
      .strict(),
  })
  .strict();

/** The session's end (absent when the warden was killed before it could write it). */
export const EndLineSchema = z
  .object({ type: z.literal('end'), t: z.number().min(0), exitCode: z.number().int() })
  .strict();

/** Any line after a header. */
export const BodyLineSchema = z.discriminatedUnion('type', [
  MessageLineSchema,
  InvalidLineSchema,
  OwnLineSchema,
  NetworkLineSchema,
  EndLineSchema,
]);

export type RecordHeader = z.infer<typeof HeaderSchema>;
export type RecordedVerdict = z.infer<typeof RecordedVerdictSchema>;
export type MessageLine = z.infer<typeof MessageLineSchema>;
export type InvalidLine = z.infer<typeof InvalidLineSchema>;
export type OwnLine = z.infer<typeof OwnLineSchema>;
export type NetworkLine = z.infer<typeof NetworkLineSchema>;
export type EndLine = z.infer<typeof EndLineSchema>;
export type BodyLine = z.infer<typeof BodyLineSchema>;
