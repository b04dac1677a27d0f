import { parseProxyNetwork } from '../gateway/client-address.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { WardenError, errorMessage } from '../errors.ts';
import { ClusterSchema } from './cluster-schema.ts';
import { formatZodError } from './format-zod-error.ts';
import { HostPatternSchema, NetworkPolicySchema } from './network-schema.ts';

const ASYMMETRIC = ['RS256', 'ES256', 'EdDSA'] as const;
const SYMMETRIC = ['HS256', 'HS384', 'HS512'] as const;

const ListenSchema = z
  .object({
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe(
        'Interface to bind. Without an auth section only loopback (127.0.0.1, ::1, localhost) is allowed.',
      ),
    port: z.number().int().min(0).max(65535).default(8080).describe('TCP port; 0 picks a free one (tests).'),
  })
  .strict()
  .describe('Where the gateway listens.');

const ApiKeySchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(64)
      .describe('Name of the key: the rate-limit bucket, metrics and audit use it.'),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, 'must be 64 hex digits (sha256 of the key)')
      .describe('Lowercase hex sha256 of the key; the key itself is never stored.'),
    scopes: z.array(z.string()).optional().describe('Scopes the key grants (checked like a token scope).'),
  })
  .strict();

const JwtSchema = z
  .object({
    issuer: z.string().min(1).describe('Required `iss` claim.'),
    audience: z.string().min(1).describe('Required `aud` claim (one of the token audiences).'),
    jwksUrl: z.url().optional().describe('JWKS endpoint the verification keys are fetched from (cached).'),
    publicKeyPem: z.string().optional().describe('A PEM public key (SPKI), or a path to a file holding one.'),
    sharedSecret: z
      .string()
      .min(32)
      .optional()
      .describe('HMAC secret; only with it may `algorithms` name HS256/HS384/HS512. At least 32 characters.'),
    algorithms: z
      .array(z.enum([...ASYMMETRIC, ...SYMMETRIC]))
      .min(1)
      .default(['RS256', 'ES256', 'EdDSA'])
      .describe('Accepted `alg` values. `none` is never accepted.'),
    requiredScopes: z
      .array(z.string())
      .default([])
      .describe('Scopes every token must carry (`scope` claim, space separated, or `scp` array).'),
    clockToleranceSec: z.number().int().min(0).max(300).default(5).describe('Leeway for exp/nbf/iat.'),
    principalClaim: z
      .string()
      .min(1)
      .default('sub')
      .describe(
        'The claim naming who a token belongs to: the principal is jwt:ISSUER:VALUE (sessions, rate limits, revocation). Tokens without it are refused; no other claim is ever used in its place.',
      ),
  })
  .strict()
  .superRefine((jwt, ctx) => {
    const keySources = [jwt.jwksUrl, jwt.publicKeyPem, jwt.sharedSecret].filter((k) => k !== undefined);
    if (keySources.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'give jwksUrl, publicKeyPem or sharedSecret' });
    }
    const hs = jwt.algorithms.filter((a) => a.startsWith('HS'));
    if (hs.length > 0 && jwt.sharedSecret === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['algorithms'],
        message: `${hs.join(', ')} need an explicitly configured sharedSecret`,
      });
    }
    if (jwt.sharedSecret !== undefined && hs.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['sharedSecret'],
        message: 'set, but no HS* algorithm is allowed',
      });
    }
  });

const AuthSchema = z
  .object({
    apiKeys: z.array(ApiKeySchema).default([]).describe('Static API keys, stored as sha256 hashes.'),
    jwt: JwtSchema.optional().describe('JWT access tokens (OAuth 2.1 resource server).'),
    revocationFile: z
      .string()
      .optional()
      .describe(
        'File of revoked credentials, one per line, each naming its namespace: key:ID (an API key), jwt:ISSUER:SUBJECT (every token of a subject), jti:ID (one token); `#` comments. A bare id is refused at start-up. Re-read when it changes.',
      ),
    resource: z
      .url()
      .optional()
      .describe(
        "This gateway's public URL, for protected-resource metadata (default: from the Host header).",
      ),
    authorizationServers: z
      .array(z.url())
      .default([])
      .describe('Authorization servers advertised in protected-resource metadata (default: the JWT issuer).'),
  })
  .strict()
  .superRefine((auth, ctx) => {
    if (auth.apiKeys.length === 0 && auth.jwt === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give apiKeys or jwt (or drop the auth section)' });
    }
  });

const ServerSchema = z
  .object({
    profile: z.string().default('auto').describe('Profile name or file, as `run --profile`.'),
    roots: z.array(z.string()).default([]).describe('Roots, as `run --root PATH[:ro]`.'),
    allowRootSymlink: z
      .array(z.string())
      .default([])
      .describe(
        'Roots confirmed although their path passes through a symlink inside an earlier read-write root, as `run --allow-root-symlink PATH`.',
      ),
    env: z
      .array(z.string())
      .default([])
      .describe('Environment passed to the server, as `run --env NAME[=VALUE]`.'),
    command: z.array(z.string().min(1)).min(1).describe('The server command: COMMAND ARGS...'),
    policy: z
      .union([z.string(), z.record(z.string(), z.unknown())])
      .optional()
      .describe("A policy merged over the profile's: a file path or an inline object."),
    memoryMb: z.number().int().positive().optional().describe('Memory limit per sandbox, as `run --memory`.'),
    cpus: z.number().positive().optional().describe('CPU limit per sandbox, as `run --cpus`.'),
    timeoutMs: z.number().int().positive().optional().describe('Per-request wall clock, as `run --timeout`.'),
    network: z
      .union([z.boolean(), NetworkPolicySchema])
      .optional()
      .describe(
        "Replaces the profile's `network`: false (no network), an allowlist object (each session gets its own egress proxy), or true (unfiltered, warned about). Unset: the profile's.",
      ),
    allowHost: z
      .array(HostPatternSchema)
      .default([])
      .describe(
        "Hosts added to the allowlist, as `run --allow-host PATTERN` (turns a profile's `network: false` into an allowlist).",
      ),
    warm: z
      .number()
      .int()
      .min(0)
      .max(16)
      .default(0)
      .describe(
        'Sandboxes launched ahead and kept idle, so a new session does not wait for one (each serves one session only; they are not counted in maxSessions).',
      ),
  })
  .strict();

const MetricsSchema = z
  .object({
    principalLabels: z
      .boolean()
      .default(false)
      .describe(
        'Label per-credential metrics (mcp_warden_rate_limited_total) with principal ids (key:ID, jwt:ISSUER:SUBJECT). Off: with the kind only (api-key, jwt, anonymous), so /metrics names no user and label cardinality stays bounded.',
      ),
  })
  .strict()
  .describe('What /metrics may reveal.');

const LimitsSchema = z
  .object({
    maxSessions: z
      .number()
      .int()
      .positive()
      .default(64)
      .describe(
        'Concurrent sessions (sandboxes), all servers. At this many /readyz answers 503, so a load balancer sends new sessions elsewhere.',
      ),
    maxSessionsPerPrincipal: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Concurrent sessions one credential (API key id, token subject; without auth: one client address) may hold on this replica, so one cannot fill maxSessions for everyone; past it a new session gets 429. Unset: only maxSessions applies.',
      ),
    idleTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(300_000)
      .describe(
        'A session with no request for this long ends, with its sandbox (an open GET stream is not activity).',
      ),
    unusedSessionTtlMs: z
      .number()
      .int()
      .positive()
      .default(60_000)
      .describe(
        'A session that was never used after its handshake (no client message other than initialize and notifications/initialized) ends this long after its last request, unless a GET stream is open: a client that initialized and vanished holds its sandbox only this long.',
      ),
    ratePerMinute: z
      .number()
      .int()
      .positive()
      .default(600)
      .describe('HTTP requests per minute per credential (per client address without auth); then 429.'),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024)
      .describe('Largest POST body.'),
    clientQueueBytes: z
      .number()
      .int()
      .min(4096)
      .default(8 * 1024 * 1024)
      .describe(
        "Most bytes of a session's messages that may wait for a client that is not reading. While one of the session's responses (a POST's event stream, the GET stream) is full, the gateway stops reading the server's output, so the server blocks on its pipe; what was already read waits here. Past this bound the session ends with rule client.not-reading and its sandbox is stopped. The message being delivered when the client stopped does not count (servers' messages are capped by policy.limits.serverMessageBytes).",
      ),
    shutdownGraceMs: z
      .number()
      .int()
      .min(0)
      .default(10_000)
      .describe('On SIGTERM, how long in-flight requests may take before sandboxes are killed.'),
    keepAliveTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(65_000)
      .describe(
        'How long an idle keep-alive connection stays open. Longer than the idle timeout of the load balancer in front (AWS ALB and nginx: 60 s), so the balancer, not the gateway, closes idle connections and never reuses one the gateway is closing.',
      ),
    headersTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(66_000)
      .describe(
        'How long a client may take to send request headers (slowloris bound). Longer than keepAliveTimeoutMs, at most requestTimeoutMs.',
      ),
    requestTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(120_000)
      .describe(
        'How long a client may take to send a whole request (headers and body); then 408 and the connection is closed. Responses are not limited: a GET event stream or a long tool call stays open.',
      ),
    maxConnections: z
      .number()
      .int()
      .positive()
      .default(1024)
      .describe(
        'Open TCP connections the gateway accepts (idle keep-alive ones included); connections past it are closed at once.',
      ),
    authFailuresPerMinute: z
      .number()
      .int()
      .positive()
      .default(60)
      .describe(
        'Failed authentications (a wrong, expired or revoked credential) per client address per minute, as a burst refilled continuously; past it every request from that address gets 429 with Retry-After before any credential is checked.',
      ),
  })
  .strict();

/** The gateway config file (`mcp-warden gateway --config FILE`, DESIGN.md). */
export const GatewayConfigSchema = z
  .object({
    $schema: z.string().optional().describe('Editor hint; ignored.'),
    listen: ListenSchema.default({ host: '127.0.0.1', port: 8080 }),
    auth: AuthSchema.optional().describe(
      'Without it every request is allowed and only loopback may be bound.',
    ),
    allowedOrigins: z
      .array(z.string())
      .default([])
      .describe(
        'Origins allowed to call the gateway (DNS-rebinding defence). Requests without Origin are allowed; loopback origins are allowed when bound to loopback.',
      ),
    allowedHosts: z
      .array(z.string())
      .default([])
      .describe(
        'Host header values accepted (host or host:port). Empty: when bound to loopback only loopback hosts, else any.',
      ),
    trustedProxies: z
      .array(
        z.string().superRefine((entry, ctx) => {
          const net = parseProxyNetwork(entry);
          if ('error' in net) ctx.addIssue({ code: 'custom', message: net.error });
        }),
      )
      .default([])
      .describe(
        'Load balancers in front of the gateway (IP or CIDR). From these peers X-Forwarded-For names the client address that the per-address limits (authFailuresPerMinute, anonymous principals) count; from any other peer the header is ignored. Empty: the connection peer is the client.',
      ),
    auditDir: z
      .string()
      .optional()
      .describe(
        'Directory for audit logs: one hash-chained file per session, NAME-SESSION.jsonl (default: stderr).',
      ),
    servers: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'server names: letters, digits, . _ -'),
        ServerSchema,
      )
      .refine((servers) => Object.keys(servers).length > 0, 'configure at least one server')
      .describe('Each server is served at /servers/NAME/mcp.'),
    limits: LimitsSchema.default(LimitsSchema.parse({})),
    metrics: MetricsSchema.default({ principalLabels: false }),
    cluster: ClusterSchema.optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.auth === undefined && !isLoopback(config.listen.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['listen', 'host'],
        message: 'without an auth section the gateway binds only to loopback (127.0.0.1, ::1)',
      });
    }
    // Node refuses a headers timeout longer than the request timeout.
    if (config.limits.headersTimeoutMs > config.limits.requestTimeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits', 'headersTimeoutMs'],
        message: `must be at most limits.requestTimeoutMs (${config.limits.requestTimeoutMs})`,
      });
    }
  });

export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
export type GatewayServerConfig = z.infer<typeof ServerSchema>;
export type GatewayAuthConfig = z.infer<typeof AuthSchema>;
export type GatewayJwtConfig = z.infer<typeof JwtSchema>;

/** True for a loopback host name or address. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Read and validate a gateway config file. Relative paths inside it (revocationFile, policy files,
 * auditDir, cluster.keyFile) resolve against the file's directory. Throws WardenError('config') naming
 * the failing path, e.g. `gateway.json: servers.fs.command: ...`.
 */
export function loadGatewayConfig(file: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WardenError('config', `cannot read gateway config ${file}: ${errorMessage(error)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new WardenError('config', `gateway config ${file} is not valid JSON: ${errorMessage(error)}`);
  }
  const parsed = GatewayConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new WardenError('config', `invalid gateway config ${file}:\n${formatZodError(parsed.error, '')}`);
  }
  const config = parsed.data;
  const base = path.dirname(path.resolve(file));
  const resolve = (p: string): string => path.resolve(base, p);
  if (config.auth?.revocationFile !== undefined)
    config.auth.revocationFile = resolve(config.auth.revocationFile);
  if (config.auditDir !== undefined) config.auditDir = resolve(config.auditDir);
  if (config.cluster !== undefined) config.cluster.keyFile = resolve(config.cluster.keyFile);
  for (const server of Object.values(config.servers)) {
    if (typeof server.policy === 'string') server.policy = resolve(server.policy);
  }
  return config;
}
