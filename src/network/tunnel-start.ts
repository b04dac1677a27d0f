import type { Duplex } from 'node:stream';
import { readClientHelloSni } from './client-hello.ts';
import { allowHint, parseTarget, type Target } from './egress-policy.ts';
import { parseRequestHead } from './http-head.ts';
import { checkHostHeader, hostText } from './connection-decision.ts';
import type { ConnectionContext, Refusal } from './proxy-context.ts';
import { readUntil } from './read-until.ts';
import { RequestGate } from './request-gate.ts';

/** First bytes that make a stream plain HTTP/1 (a method and a space). */
const HTTP_START = /^[A-Z]{3,10} /;

/**
 * Inside a tunnel (CONNECT or SOCKS) look at what the client sends first: a TLS ClientHello must name
 * the tunnel's host (SNI; none for an IP target), a plain HTTP request must carry it as Host. Anything
 * else passes only on a port the profile named explicitly (not the web's 80/443), after a short wait
 * for protocols where the server speaks first.
 */
export async function checkTunnelStart(
  client: Duplex,
  initial: Buffer,
  target: Target,
  port: number,
  ctx: ConnectionContext,
): Promise<{ buffer: Buffer; gate?: RequestGate } | Refusal> {
  const allow = allowHint(target, port);
  const read = await readUntil(
    client,
    initial,
    (b) => classifyTunnelStart(b),
    Math.min(ctx.headTimeoutMs, 2000),
  );
  const webPort = port === 80 || port === 443;
  const kind = read.result.status;
  if (kind === 'tls') {
    const sni = readClientHelloSni(read.buffer);
    if (sni.status === 'not-tls')
      return { rule: 'network.sni-mismatch', reason: `TLS ClientHello refused: ${sni.reason}`, allow };
    if (sni.status === 'more')
      return { rule: 'network.sni-mismatch', reason: 'incomplete TLS ClientHello', allow };
    if (sni.status === 'no-sni') {
      if (target.kind === 'address') return { buffer: read.buffer };
      return {
        rule: 'network.sni-mismatch',
        reason: `the TLS ClientHello names no server, the tunnel is for ${target.name}`,
        allow,
      };
    }
    const named = parseTarget(sni.name);
    if (target.kind === 'name' && named?.kind === 'name' && named.name === target.name)
      return { buffer: read.buffer };
    return {
      rule: 'network.sni-mismatch',
      reason: `the TLS server name ${JSON.stringify(sni.name)} is not ${hostText(target)}`,
      allow,
    };
  }
  if (kind === 'http') {
    const head = parseRequestHead(read.buffer);
    if (head.status !== 'ok')
      return { rule: 'network.sni-mismatch', reason: 'malformed HTTP request in the tunnel', allow };
    const mismatch = checkHostHeader(head.head, target, port);
    if (mismatch) return { ...mismatch, rule: 'network.sni-mismatch' };
    // Every later request in this plain-HTTP tunnel is checked like the first (keep-alive, pipelining).
    const gate = new RequestGate({ checkHead: (next) => checkHostHeader(next, target, port)?.reason });
    const first = gate.push(read.buffer);
    if ('refuse' in first) return { rule: 'network.sni-mismatch', reason: first.refuse, allow };
    return { buffer: first.forward, gate };
  }
  if (webPort)
    return {
      rule: 'network.sni-mismatch',
      reason: `port ${port} carries only TLS with a server name or HTTP with a Host header`,
      allow,
    };
  if (kind === 'closed')
    return { rule: 'network.sni-mismatch', reason: 'the client closed the tunnel', allow };
  return { buffer: read.buffer };
}

function classifyTunnelStart(data: Buffer): { status: 'more' | 'tls' | 'http' | 'other' } {
  if (data.length === 0) return { status: 'more' };
  if (data[0] === 0x16) {
    const sni = readClientHelloSni(data);
    return { status: sni.status === 'more' ? 'more' : 'tls' };
  }
  const start = data.subarray(0, 11).toString('latin1');
  if (HTTP_START.test(start))
    return parseRequestHead(data).status === 'more' ? { status: 'more' } : { status: 'http' };
  if (data.length < 11 && /^[A-Z]*$/.test(start)) return { status: 'more' };
  return { status: 'other' };
}
