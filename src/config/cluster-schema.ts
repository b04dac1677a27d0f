import { z } from 'zod';

/**
 * A replica's base URL as its peers reach it: http(s), a host, a port; no path, query or credentials.
 * Returns the normalised origin (`http://10.0.0.7:8080`), or the reason it is not one.
 */
export function replicaOrigin(text: string): { ok: true; origin: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: `"${text}" is not a URL (expected e.g. http://10.0.0.7:8080)` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: `"${text}": only http:// and https:// replicas are supported` };
  if (url.username !== '' || url.password !== '')
    return { ok: false, reason: `"${text}": no credentials in a replica URL` };
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '')
    return { ok: false, reason: `"${text}": give scheme://host:port only, without a path or query` };
  return { ok: true, origin: url.origin };
}

const replicaUrl = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    const checked = replicaOrigin(text);
    if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.reason });
  });

const PeersDnsSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .describe(
        'DNS name whose A/AAAA records are the replicas: a headless Service (NAME.NAMESPACE.svc.cluster.local) with publishNotReadyAddresses.',
      ),
    port: z.number().int().min(1).max(65535).describe('Port every replica listens on.'),
    scheme: z.enum(['http', 'https']).default('http').describe('How replicas reach one another.'),
    refreshMs: z
      .number()
      .int()
      .min(500)
      .max(300_000)
      .default(5000)
      .describe(
        'How often the name is resolved again. A session whose owner is not in the last answer forces one early refresh (at most once a second).',
      ),
  })
  .strict()
  .describe('Peers from DNS: every address the name resolves to is a replica at scheme://ADDRESS:port.');

/**
 * `cluster` in the gateway config: replicas that share sessions behind a plain (non-sticky) load
 * balancer. Each session id names its owner replica, authenticated with the shared key; any replica
 * forwards a request for another's session to the owner.
 */
export const ClusterSchema = z
  .object({
    self: z
      .string()
      .min(1)
      .describe(
        "This replica's base URL as the other replicas reach it (scheme://host:port). ${NAME} is replaced by the environment variable NAME, e.g. http://${POD_IP}:8080.",
      ),
    peers: z
      .array(replicaUrl)
      .min(1)
      .optional()
      .describe('Every replica, this one included, spelt the same on every replica.'),
    peersDns: PeersDnsSchema.optional(),
    keyFile: z
      .string()
      .min(1)
      .describe(
        'File holding the key every replica shares (at least 32 bytes; surrounding whitespace ignored). It authenticates session ids and forwarded requests: keep it secret, like a credential.',
      ),
    connectTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(2000)
      .describe('How long a forward may wait to connect to the owner before its sessions count as gone.'),
    maxClockSkewMs: z
      .number()
      .int()
      .min(1000)
      .max(300_000)
      .default(30_000)
      .describe('How old (or early) a forwarded request signature may be: the replicas’ clock difference.'),
  })
  .strict()
  .superRefine((cluster, ctx) => {
    if ((cluster.peers === undefined) === (cluster.peersDns === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of peers (a list of URLs) or peersDns' });
    }
    if (!cluster.self.includes('${')) {
      const checked = replicaOrigin(cluster.self);
      if (!checked.ok) ctx.addIssue({ code: 'custom', path: ['self'], message: checked.reason });
    }
  })
  .describe(
    'Replicas sharing sessions behind a plain load balancer (docs/gateway.md, "Replicas"). Absent: one replica.',
  );

export type ClusterConfig = z.infer<typeof ClusterSchema>;
