import { z } from 'zod';
import { parseHostPattern } from '../network/host-pattern.ts';
import { parseIpLiteral } from '../network/ip-literal.ts';
import { normalizeHostName } from '../network/host-pattern.ts';

/** One allow/deny entry; refused patterns say why and what to write instead. */
export const HostPatternSchema = z
  .string()
  .superRefine((value, ctx) => {
    const result = parseHostPattern(value);
    if (!result.ok) ctx.addIssue({ code: 'custom', message: `${result.error}; ${result.hint}` });
  })
  .describe(
    'A host the server may reach: `api.github.com` (exactly), `*.githubusercontent.com` (subdomains only), `host:8443` (that port only; without a port: 80 and 443), an IP address or CIDR (`10.1.2.3`, `10.0.0.0/8`, `[fd00::1]:8443`)',
  );

/** Egress by allowlist (docs/network.md). */
export const NetworkPolicySchema = z
  .object({
    allow: z
      .array(HostPatternSchema)
      .default([])
      .describe("Hosts the server may connect to, through the warden's proxy"),
    deny: z
      .array(HostPatternSchema)
      .default([])
      .describe('Hosts refused even when `allow` covers them (deny wins)'),
    allowPrivate: z
      .boolean()
      .default(false)
      .describe(
        "Allow names that resolve to loopback, private (RFC 1918, ULA), link-local or the host's own addresses; cloud metadata addresses still need an explicit IP entry in `allow`",
      ),
    maxConnections: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(32)
      .describe('Connections open at once, per session'),
    maxBytesOut: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'Bytes the server may send in total, per session (unset: no cap); a connection passing it is cut',
      ),
    onDeny: z
      .enum(['deny', 'kill'])
      .default('deny')
      .describe('deny: a refused connection is answered 403 and the session goes on; kill: it is a breach'),
    resolve: z
      .record(
        z.string().refine((name) => normalizeHostName(name) !== undefined, 'must be a host name'),
        z.string().refine((address) => parseIpLiteral(address) !== undefined, 'must be an IP address'),
      )
      .default({})
      .describe(
        'Names resolved to fixed addresses instead of DNS, like curl --resolve (for tests and internal services); the address is still checked (loopback and private need allowPrivate or an IP entry)',
      ),
  })
  .strict()
  .describe("Egress through the warden's per-session proxy: only the listed hosts");

export type NetworkPolicy = z.infer<typeof NetworkPolicySchema>;

/** `network`: false (no network, default), true (unfiltered, with a warning), or an allowlist. */
export const NetworkSchema = z
  .union([z.boolean(), NetworkPolicySchema])
  .default(false)
  .describe(
    "false (default): no network. An object: only the hosts in `allow`, through the warden's proxy. true: the unfiltered host network (warned about; not recommended)",
  );
