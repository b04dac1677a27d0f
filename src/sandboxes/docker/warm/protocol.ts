import { z } from 'zod';
import type { ContainerCreateBody } from '../container-plan.ts';
import { POOL_PROTOCOL_VERSION } from './pool-wire.ts';

/**
 * The warm pool's wire protocol: newline-delimited JSON over the daemon's unix socket, one object per
 * line. These schemas are its source of truth; the daemon parses every request with them. The warden
 * reads the few replies with a hand-written check (reply-check.ts, tested against ReplySchema) so that
 * loading zod (~40 ms) stays off its start-up path.
 */

const Strings = z.array(z.string());

/**
 * The container create body the warden plans (container-plan.ts), pinned where it hardens: the pool
 * creates nothing a warden would not (no privileges, no capabilities, read-only root, never root...).
 */
export const ContainerBodySchema = z
  .object({
    Image: z.string().min(1),
    Cmd: Strings.min(1),
    Entrypoint: Strings.length(0),
    Env: Strings,
    User: z
      .string()
      .regex(/^\d+:\d+$/)
      .refine((user) => !user.startsWith('0:'), 'never root'),
    WorkingDir: z.string(),
    Hostname: z.string(),
    Labels: z.record(z.string(), z.string()),
    AttachStdin: z.literal(true),
    AttachStdout: z.literal(true),
    AttachStderr: z.literal(true),
    OpenStdin: z.literal(true),
    StdinOnce: z.literal(true),
    Tty: z.literal(false),
    NetworkDisabled: z.boolean(),
    StopSignal: z.literal('SIGTERM'),
    HostConfig: z
      .object({
        Runtime: z.enum(['runc', 'runsc']),
        NetworkMode: z.enum(['none', 'bridge']),
        ReadonlyRootfs: z.literal(true),
        Tmpfs: z.record(z.string(), z.string()),
        Mounts: z.array(
          z
            .object({
              Type: z.literal('bind'),
              Source: z.string().startsWith('/'),
              Target: z.string().startsWith('/'),
              ReadOnly: z.boolean(),
              BindOptions: z.object({ Propagation: z.literal('rprivate') }).strict(),
            })
            .strict(),
        ),
        CapDrop: z.tuple([z.literal('ALL')]),
        CapAdd: z.tuple([]),
        SecurityOpt: Strings.refine((options) => options.includes('no-new-privileges:true'), {
          message: 'must include no-new-privileges:true',
        }),
        MaskedPaths: Strings,
        Privileged: z.literal(false),
        Init: z.literal(true),
        IpcMode: z.literal('private'),
        PidMode: z.literal(''),
        UsernsMode: z.literal(''),
        Memory: z.number().int().positive(),
        MemorySwap: z.number().int().positive(),
        NanoCpus: z.number().int().positive(),
        PidsLimit: z.number().int().positive(),
        Ulimits: z.array(z.object({ Name: z.string(), Soft: z.number(), Hard: z.number() }).strict()),
        LogConfig: z.object({ Type: z.literal('none'), Config: z.object({}).strict() }).strict(),
        AutoRemove: z.literal(false),
        Devices: z.tuple([]),
      })
      .strict(),
  })
  .strict()
  .describe('The POST /containers/create body of a warden plan (container-plan.ts ContainerCreateBody)');

// The schema and the planner's type must stay the same shape: a change to one fails the typecheck here.
type SchemaBody = z.infer<typeof ContainerBodySchema>;
export const bodyShapeMatches: [SchemaBody, ContainerCreateBody] extends [ContainerCreateBody, SchemaBody]
  ? true
  : never = true;

const Version = z.literal(POOL_PROTOCOL_VERSION).describe('POOL_PROTOCOL_VERSION of the warden');
const Engine = z.string().describe('DOCKER_HOST of the warden ("" for the local socket)');

/** The warden asking for a ready container of `body`: answered hit or miss. */
export const TakeRequestSchema = z
  .object({
    type: z.literal('take'),
    version: Version,
    engine: Engine,
    body: ContainerBodySchema,
    taker: z
      .object({ pid: z.number().int().positive(), startTime: z.string().regex(/^\d+$/) })
      .strict()
      .describe('The warden (pid and start time, owner.ts) the container is renamed after'),
  })
  .strict();

/** Keep one ready container of `body` from now on (sent by a warden that had to start the daemon). */
export const PrepareRequestSchema = z
  .object({ type: z.literal('prepare'), version: Version, engine: Engine, body: ContainerBodySchema })
  .strict();

/** After a hit: the warden attached to the container (the pool refills then, not during the attach). */
export const AttachedNoteSchema = z.object({ type: z.literal('attached') }).strict();
/** After a miss: the warden's own launch is done (the pool fills then, not while it competes). */
export const LaunchedNoteSchema = z.object({ type: z.literal('launched') }).strict();
/** What the daemon holds (tests, the benchmark). */
export const StatusRequestSchema = z.object({ type: z.literal('status') }).strict();

export const RequestSchema = z.discriminatedUnion('type', [
  TakeRequestSchema,
  PrepareRequestSchema,
  AttachedNoteSchema,
  LaunchedNoteSchema,
  StatusRequestSchema,
]);
export type PoolRequest = z.infer<typeof RequestSchema>;

export const HitReplySchema = z
  .object({
    type: z.literal('hit'),
    id: z.string().regex(/^[0-9a-f]{64}$/),
    name: z.string().min(1).describe('The name the container was given for this warden (taken-name.ts)'),
    stderr: z.base64().describe('What the server wrote on stderr while it waited, base64 (the last 64 KiB)'),
  })
  .strict();
export const MissReplySchema = z.object({ type: z.literal('miss'), reason: z.string() }).strict();
export const OkReplySchema = z.object({ type: z.literal('ok') }).strict();
export const StatusReplySchema = z
  .object({
    type: z.literal('status'),
    pid: z.number().int(),
    ready: z.array(
      z
        .object({
          key: z.string(),
          id: z.string(),
          stderrBytes: z
            .number()
            .int()
            .describe('What its server wrote on stderr so far (kept: the last 64 KiB)'),
        })
        .strict(),
    ),
    unpoolable: z
      .array(z.object({ key: z.string(), reason: z.string() }).strict())
      .describe('Plans this daemon never keeps ready, and why'),
    handedOut: z.number().int(),
  })
  .strict();
export const ErrorReplySchema = z.object({ type: z.literal('error'), reason: z.string() }).strict();

export const ReplySchema = z.discriminatedUnion('type', [
  HitReplySchema,
  MissReplySchema,
  OkReplySchema,
  StatusReplySchema,
  ErrorReplySchema,
]);
export type PoolReply = z.infer<typeof ReplySchema>;

/**
 * Parse one request line with RequestSchema, or (`only`) with one of its members; the error names the
 * first bad field. Never throws.
 */
export function parseRequest(
  line: string,
  only: z.ZodType<PoolRequest> = RequestSchema,
): { ok: true; request: PoolRequest } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = only.safeParse(json);
  if (parsed.success) return { ok: true, request: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, reason: `${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}` };
}
