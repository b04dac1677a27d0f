import { isLoopback } from '../config/gateway-schema.ts';

/** What the Host/Origin check needs to know about the gateway. */
export interface OriginPolicy {
  /** The gateway listens on loopback only: then only loopback Host and Origin values are accepted. */
  loopbackOnly: boolean;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
}

/**
 * DNS-rebinding defence (MCP transports spec): a browser tricked into calling the gateway sends a
 * foreign Host and Origin. Returns undefined when the request may proceed, else why not.
 * A request without Origin (not from a browser) is judged by its Host alone.
 */
export function checkOrigin(
  host: string | undefined,
  origin: string | undefined,
  policy: OriginPolicy,
): string | undefined {
  if (policy.allowedHosts.length > 0) {
    if (host === undefined || !policy.allowedHosts.includes(host.toLowerCase()))
      return `host ${host ?? '(none)'} is not allowed`;
  } else if (policy.loopbackOnly && (host === undefined || !isLoopback(hostname(host)))) {
    return `host ${host ?? '(none)'} is not a loopback host`;
  }
  if (origin === undefined) return undefined;
  if (policy.allowedOrigins.includes(origin)) return undefined;
  if (policy.loopbackOnly) {
    try {
      const url = new URL(origin);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && isLoopback(url.hostname))
        return undefined;
    } catch {
      // Not a URL: refused below.
    }
  }
  return `origin ${origin} is not allowed`;
}

/** The host name of a Host header value (drops the port; keeps IPv6 brackets' content). */
function hostname(host: string): string {
  const lower = host.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(1, lower.indexOf(']'));
  const colon = lower.lastIndexOf(':');
  return colon >= 0 ? lower.slice(0, colon) : lower;
}
