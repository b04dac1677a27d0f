import { z } from 'zod';
import { ApproveFallbackSchema, ApproveListSchema, ApproveTimeoutSchema } from './approve-schema.ts';
import { SEVERITIES } from './severities.ts';

/**
 * The policy half of a profile. This schema is the single source of truth: the TypeScript type is
 * inferred from it and profiles/schema.json is generated from it (npm run schema).
 * Every object is `.strict()` so a misspelt security key fails loudly instead of being ignored.
 */

/** Standard MCP methods a client may send to a server (requests and notifications). */
export const DEFAULT_CLIENT_METHODS = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
] as const;

/** Notifications a server may send to the client. */
export const DEFAULT_SERVER_NOTIFICATIONS = [
  'notifications/message',
  'notifications/progress',
  'notifications/cancelled',
  'notifications/resources/updated',
  'notifications/resources/list_changed',
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
] as const;

/** Requests a server may send to the client. sampling, elicitation and roots are denied unless listed. */
export const DEFAULT_SERVER_REQUESTS = ['ping'] as const;

/** Tool-name globs that the policy treats as writing: their path arguments must lie in read-write roots. */
export const DEFAULT_WRITE_TOOLS = [
  'write_*',
  'edit_*',
  'create_*',
  'move_*',
  'delete_*',
  'remove_*',
  'rename_*',
  'append_*',
  'upload_*',
  'patch_*',
  'mkdir*',
] as const;

export const MiB = 1024 * 1024;

const glob = z.string().min(1).max(256).describe('A glob: * matches any run of characters, ? one character');

export { SEVERITIES };

/** Content guards and tool pinning (docs/scan.md); all on by default in every profile. */
export const GuardsSchema = z
  .object({
    redactSecrets: z
      .boolean()
      .default(true)
      .describe(
        'Replace credentials (private keys, cloud and VCS tokens, JWTs, passwords in connection strings) in anything the server sends with a visible marker',
      ),
    stripControls: z
      .boolean()
      .default(true)
      .describe('Remove ANSI/OSC terminal escapes and bidi controls from anything the server sends'),
    poisonedTools: z
      .enum(['off', ...SEVERITIES])
      .default('high')
      .describe(
        'Withhold a tool whose definition has a finding of at least this severity (rule tool.description-poisoned); off: never',
      ),
    pinTools: z
      .boolean()
      .default(true)
      .describe(
        'Pin tool definitions (from lockFile, else the first listing of the session) and withhold a tool whose definition changes (rule tool.definition-changed)',
      ),
    lockFile: z
      .string()
      .min(1)
      .optional()
      .describe('Lock file written by `mcp-warden scan`; unset: pins are learned at the first tools/list'),
  })
  .strict()
  .describe('Content guards on what the server sends');

export const PolicySchema = z
  .object({
    methods: z
      .object({
        client: z
          .array(z.string().min(1))
          .default([...DEFAULT_CLIENT_METHODS])
          .describe('Methods (requests and notifications) the client may send to the server; exact names'),
        serverRequests: z
          .array(z.string().min(1))
          .default([...DEFAULT_SERVER_REQUESTS])
          .describe(
            'Requests the server may send to the client (e.g. add "sampling/createMessage"); anything else kills the sandbox',
          ),
        serverNotifications: z
          .array(z.string().min(1))
          .default([...DEFAULT_SERVER_NOTIFICATIONS])
          .describe('Notifications the server may send to the client; anything else kills the sandbox'),
      })
      .strict()
      .prefault({})
      .describe('Method allowlists per direction'),
    tools: z
      .object({
        allow: z.array(glob).default(['*']).describe('Tools the client may call; empty means none'),
        deny: z.array(glob).default([]).describe('Tools never callable, even if allowed; deny wins'),
        write: z
          .array(glob)
          .default([...DEFAULT_WRITE_TOOLS])
          .describe('Tools that write: every path argument must lie in a read-write root'),
      })
      .strict()
      .prefault({})
      .describe('Tool allow/deny lists'),
    limits: z
      .object({
        clientMessageBytes: z
          .number()
          .int()
          .min(1024)
          .max(256 * MiB)
          .default(4 * MiB)
          .describe('Largest single message (one line, in bytes) the client may send'),
        serverMessageBytes: z
          .number()
          .int()
          .min(1024)
          .max(1024 * MiB)
          .default(32 * MiB)
          .describe('Largest single message (one line, in bytes) the server may send; larger kills it'),
        argumentBytes: z
          .number()
          .int()
          .min(16)
          .max(256 * MiB)
          .default(1 * MiB)
          .describe('Largest single string value (UTF-8 bytes) anywhere in a request’s params'),
        maxDepth: z
          .number()
          .int()
          .min(4)
          .max(1000)
          .default(64)
          .describe('Deepest nesting of objects/arrays accepted in a message'),
        requestTimeoutMs: z
          .number()
          .int()
          .min(100)
          .max(24 * 3600 * 1000)
          .default(600_000)
          .describe('Wall-clock limit per client request; the client gets an error and the server a cancel'),
      })
      .strict()
      .prefault({})
      .describe('Size and time caps'),
    strayOutput: z
      .object({
        lines: z
          .number()
          .int()
          .min(0)
          .max(10_000_000)
          .default(1000)
          .describe(
            'Most non-JSON lines the server may print on stdout per session (dropped, audited); more kills it',
          ),
        bytes: z
          .number()
          .int()
          .min(0)
          .max(1024 * MiB)
          .default(1 * MiB)
          .describe('Most bytes of non-JSON lines the server may print on stdout per session; more kills it'),
        strict: z
          .boolean()
          .default(false)
          .describe('Treat any non-JSON line on the server stdout as a breach (CLI --strict-protocol)'),
      })
      .strict()
      .prefault({})
      .describe(
        'Stray output: a line on the server stdout that is not JSON at all (a forgotten console.log, a banner) is dropped, never forwarded',
      ),
    guards: GuardsSchema.prefault({}),
    approve: ApproveListSchema,
    approveFallback: ApproveFallbackSchema,
    approveTimeoutMs: ApproveTimeoutSchema,
  })
  .strict()
  .describe('What the policy engine allows through');

export type Policy = z.infer<typeof PolicySchema>;
/** A policy file as written by a user: every field optional, merged over the profile's policy. */
export type PolicyInput = z.input<typeof PolicySchema>;
