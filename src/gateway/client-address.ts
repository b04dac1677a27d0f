import type { IncomingMessage } from 'node:http';
import { BlockList } from 'node:net';
import { parseIpLiteral } from '../network/ip-literal.ts';

/**
 * Pure: `entry` as a trusted proxy network (`10.0.0.0/8`, `fd00::/8`, or one address), or the reason it
 * is not one. IP literals in strict form only (what a load balancer's address looks like).
 */
export function parseProxyNetwork(
  entry: string,
): { family: 'ipv4' | 'ipv6'; address: string; prefix: number } | { error: string } {
  const [addressText = '', prefixText, ...rest] = entry.trim().split('/');
  const ip = parseIpLiteral(addressText);
  if (rest.length > 0 || ip === undefined || /[^0-9a-fA-F.:]/.test(addressText))
    return { error: `"${entry}" is not an IP address or CIDR (write 10.0.0.0/8, 192.168.1.10 or fd00::/8)` };
  const max = ip.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max)
    return { error: `"${entry}": the prefix length must be 0–${max}` };
  return { family: ip.family === 4 ? 'ipv4' : 'ipv6', address: ip.address, prefix };
}

/**
 * The address a request comes from, for the per-address limits. The connection's peer, unless that
 * peer is one of `trusted` (the load balancers in front of the gateway): then X-Forwarded-For is read
 * from the right, skipping trusted hops, and the first address that is not trusted is the client (what
 * the balancer saw; anything further left was written by the client and proves nothing). A malformed
 * hop stops the walk at the last trusted one.
 */
export class ClientAddresses {
  readonly #trusted = new BlockList();
  readonly #any: boolean;

  constructor(networks: readonly string[]) {
    for (const entry of networks) {
      const net = parseProxyNetwork(entry);
      if ('error' in net) throw new Error(net.error);
      this.#trusted.addSubnet(net.address, net.prefix, net.family);
    }
    this.#any = networks.length > 0;
  }

  of(req: IncomingMessage): string {
    const peer = canonical(req.socket.remoteAddress);
    if (peer === undefined) return 'unknown';
    if (!this.#any || !this.#isTrusted(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((hop) => hop.trim())
      .filter((hop) => hop !== '');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = canonical(hops[i]);
      if (hop === undefined) break;
      client = hop;
      if (!this.#isTrusted(hop)) break;
    }
    return client;
  }

  #isTrusted(address: string): boolean {
    return this.#trusted.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
  }
}

/** Canonical text of an IP address (IPv4-mapped IPv6 as IPv4), or undefined for anything else. */
function canonical(text: string | undefined): string | undefined {
  if (text === undefined || /[^0-9a-fA-F.:[\]]/.test(text)) return undefined;
  return parseIpLiteral(text)?.address;
}
