import type { NetworkRuleId } from './egress-policy.ts';

/**
 * The body of a refusal (HTTP 403): which rule refused the connection and how the user allows it,
 * so the server's own error message (which usually quotes the body) tells the user what to do.
 */
export function refusalText(rule: NetworkRuleId, reason: string, allow: string): string {
  const how: Record<NetworkRuleId, string> = {
    'network.host-not-allowed': `To allow it, run mcp-warden with --allow-host ${allow} (or add "${allow}" to the profile's network.allow).`,
    'network.private-address': `Private, loopback, link-local and metadata addresses are refused after resolution. If this internal service is intended, add its address to network.allow (e.g. --allow-host ${allow}) or set network.allowPrivate.`,
    'network.sni-mismatch': 'The TLS server name must equal the host given to CONNECT (no domain fronting).',
    'network.limit':
      "The session's network limits (network.maxConnections, network.maxBytesOut) were reached.",
  };
  return `mcp-warden refused this connection (${rule}): ${reason}.\n${how[rule]}\n`;
}

/**
 * The reason phrase of a refusal (HTTP 403): the rule and, for a host not allowed, the option that
 * allows it. Clients that do not show a refused CONNECT's body (Python's urllib and httpx, curl) quote
 * the status line, so this is what the server's error says for HTTPS. `allow` is a normalised
 * host[:port] (no CR/LF can reach the status line).
 */
export function refusalStatusText(rule: NetworkRuleId, allow: string): string {
  const how = rule === 'network.host-not-allowed' ? `: allow it with --allow-host ${allow}` : '';
  return `Forbidden by mcp-warden (${rule})${how}`;
}

/** A complete HTTP/1.1 response with a text body; the connection closes after it. */
export function httpResponse(status: number, statusText: string, body: string, extra: string[] = []): string {
  return [
    `HTTP/1.1 ${status} ${statusText}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...extra,
    '',
    body,
  ].join('\r\n');
}
