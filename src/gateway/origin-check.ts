import { isLoopback } from '../config/gateway-schema.ts';

/** What the Host/Origin check needs to know about the gateway. */
export interface OriginPolicy {
  /** The gateway listens on loopback only: then only loopback Host and Origin values are accepted. */
  loopbackOnly: boolean;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
}

/** The address and port a connection arrived on (req.socket.localAddress / localPort). */
export interface LocalAddress {
  address: string | undefined;
  port: number | undefined;
}

/**
 * DNS-rebinding defence (MCP transports spec): a browser tricked into calling the gateway sends a
 * foreign Host and Origin. Returns undefined when the request may proceed, else why not.
 * A request without Origin (not from a browser) is judged by its Host alone. Besides allowedHosts, a
 * Host that is literally the address the connection arrived on (`10.1.2.3:8080`) is accepted: a
 * rebinding page sends its own domain name, never that, while probes and scrapers (kubelet,
 * Prometheus) send exactly that.
 */
export function checkOrigin(
  host: string | undefined,
  origin: string | undefined,
  policy: OriginPolicy,
  local?: LocalAddress,
): string | undefined {
  // Never anything that could break out of a header or URL it is copied into (metadata, challenges).
  if (host !== undefined && !HOST_SYNTAX.test(host)) return 'the Host header is not a valid host[:port]';
  if (host !== undefined && local !== undefined && isLocalAddress(host, local)) {
    // Allowed as it is; Origin still judged below.
  } else if (policy.allowedHosts.length > 0) {
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

/** A DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const HOST_SYNTAX = /^(?:[A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** Host is the connection's own local address, with or without its port. */
function isLocalAddress(host: string, local: LocalAddress): boolean {
  if (local.address === undefined) return false;
  const address = local.address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').toLowerCase();
  const literal = address.includes(':') ? `[${address}]` : address;
  const lower = host.toLowerCase();
  return lower === literal || lower === `${literal}:${local.port}`;
}

/** The host name of a Host header value (drops the port; keeps IPv6 brackets' content). */
function hostname(host: string): string {
  const lower = host.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(1, lower.indexOf(']'));
  const colon = lower.lastIndexOf(':');
  return colon >= 0 ? lower.slice(0, colon) : lower;
}
