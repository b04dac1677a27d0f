import type { Duplex } from 'node:stream';
import { readClientHelloSni } from './client-hello.ts';
import type { ConnectionEvent } from './connection-event.ts';
import {
  allowHint,
  decideAddress,
  decideTarget,
  type Decision,
  type EgressPolicy,
  type NetworkRuleId,
  parseTarget,
  type Target,
  targetText,
} from './egress-policy.ts';
import { bodyFraming, headerValues, parseRequestHead, type RequestHead, splitHostPort } from './http-head.ts';
import type { IpAddress } from './ip-literal.ts';
import { readUntil } from './read-until.ts';
import { RequestGate } from './request-gate.ts';
import { httpResponse, refusalStatusText, refusalText } from './refusal-text.ts';
import { PLAIN_REFUSAL_HEADER } from './proxy-client.ts';
import { hasProxyCredential, parseSocksUserPass } from './proxy-auth.ts';
import { parseSocksGreeting, parseSocksRequest, socksReply } from './socks5.ts';
import { splice } from './splice.ts';

/** What one connection needs from the proxy that owns it. */
export interface ConnectionContext {
  policy: EgressPolicy;
  hostAddresses: readonly string[];
  /** Resolve a name (not in `policy.resolve`) to its addresses; rejects when it does not resolve. */
  lookup: (name: string) => Promise<IpAddress[]>;
  /** Open a TCP connection to an address the policy allowed. */
  dial: (ip: IpAddress, port: number) => Promise<Duplex>;
  /** Connections open now, this one included. */
  active: () => number;
  /** Ask to send `bytes` more upstream; false when the session's byte cap would be passed. */
  takeBytesOut: (bytes: number) => boolean;
  headTimeoutMs: number;
  now: () => number;
  /**
   * Told the moment a connection is refused, before the client hears of it: under onDeny "kill" the
   * session's breach is under way before the server can act on the refusal.
   */
  refused: (rule: NetworkRuleId, reason: string) => void;
  /**
   * The session's proxy credential (proxy-auth.ts) when the connection came in on the host's loopback
   * (seatbelt), which any local process can reach: nothing is decided for a client without it.
   * Undefined: none asked (the unix socket, which only the sandbox reaches).
   */
  credential?: string;
}

/** Why a client without the session's credential is refused (the 407 body and the audit reason). */
const NO_CREDENTIAL = 'no valid proxy credential (the one in HTTP_PROXY inside the sandbox)';

type Protocol = ConnectionEvent['protocol'];
type Refusal = { rule: NetworkRuleId; reason: string; allow: string; address?: string };

/** First bytes that make a stream plain HTTP/1 (a method and a space). */
const HTTP_START = /^[A-Z]{3,10} /;

/**
 * Serve one client connection of the proxy: SOCKS5 when it starts with 0x05, else HTTP (CONNECT, or
 * a plain request in absolute form). Resolves with the connection's audit event once it has ended.
 */
export async function serveConnection(client: Duplex, ctx: ConnectionContext): Promise<ConnectionEvent> {
  const started = ctx.now();
  const first = await readUntil(
    client,
    Buffer.alloc(0),
    (b) => (b.length > 0 ? { status: 'ok' } : { status: 'more' }),
    ctx.headTimeoutMs,
  );
  const event = (
    protocol: Protocol,
    host: string,
    port: number,
    rest: Partial<ConnectionEvent>,
  ): ConnectionEvent => ({
    event: 'network.connection',
    protocol,
    host,
    port,
    verdict: 'deny',
    bytesOut: 0,
    bytesIn: 0,
    durationMs: Math.max(0, ctx.now() - started),
    ...rest,
  });
  if (first.result.status !== 'ok') {
    client.destroy();
    return event('http', '', 0, { verdict: 'error', reason: 'the client sent nothing' });
  }
  return first.buffer[0] === 5
    ? serveSocks(client, first.buffer, ctx, event)
    : serveHttp(client, first.buffer, ctx, event);
}

type MakeEvent = (
  protocol: Protocol,
  host: string,
  port: number,
  rest: Partial<ConnectionEvent>,
) => ConnectionEvent;

async function serveHttp(
  client: Duplex,
  initial: Buffer,
  ctx: ConnectionContext,
  event: MakeEvent,
): Promise<ConnectionEvent> {
  const read = await readUntil(client, initial, parseRequestHead, ctx.headTimeoutMs);
  const answer = (status: number, text: string, body: string): void => {
    client.end(httpResponse(status, text, body));
  };
  if (read.result.status !== 'ok') {
    const reason = 'reason' in read.result ? read.result.reason : `request head ${read.result.status}`;
    answer(400, 'Bad Request', `mcp-warden proxy: ${reason}\n`);
    return event('http', '', 0, { verdict: 'error', reason });
  }
  const head = (read.result as { head: RequestHead }).head;
  const rest = read.buffer.subarray(head.length);
  const connect = head.method === 'CONNECT';
  const protocol: Protocol = connect ? 'connect' : 'http';
  if (ctx.credential !== undefined && !hasProxyCredential(head, ctx.credential)) {
    client.end(
      httpResponse(407, 'Proxy Authentication Required', `mcp-warden proxy: ${NO_CREDENTIAL}\n`, [
        'Proxy-Authenticate: Basic realm="mcp-warden"',
      ]),
    );
    return event(protocol, '', 0, { reason: NO_CREDENTIAL });
  }
  const parsed = connect ? parseConnectTarget(head) : parseAbsoluteTarget(head);
  if ('error' in parsed) {
    answer(400, 'Bad Request', `mcp-warden proxy: ${parsed.error}\n`);
    return event(protocol, '', 0, { verdict: 'error', reason: parsed.error });
  }
  const { target, port } = parsed;
  const host = hostText(target);
  const refuse = (refusal: Refusal): ConnectionEvent => {
    ctx.refused(refusal.rule, refusal.reason);
    answer(
      403,
      refusalStatusText(refusal.rule, refusal.allow),
      refusalText(refusal.rule, refusal.reason, refusal.allow),
    );
    return event(protocol, host, port, {
      rule: refusal.rule,
      reason: refusal.reason,
      ...(refusal.address ? { address: refusal.address } : {}),
    });
  };
  const checked = await checkAndResolve(target, port, ctx);
  if ('rule' in checked && connect && port !== 443 && headerValues(head, PLAIN_REFUSAL_HEADER).length === 0) {
    // Node's fetch tunnels even http:// URLs through CONNECT and reports a refused CONNECT as a bare
    // "Request was cancelled": accept the tunnel, and answer the plain HTTP request inside it with the
    // 403, so the server's error quotes how to allow the host. Nothing is dialled either way.
    ctx.refused(checked.rule, checked.reason);
    client.write(`${head.version} 200 Connection Established\r\n\r\n`);
    const inner = await readUntil(client, rest, parseRequestHead, Math.min(ctx.headTimeoutMs, 2000));
    if (inner.result.status === 'ok')
      answer(
        403,
        refusalStatusText(checked.rule, checked.allow),
        refusalText(checked.rule, checked.reason, checked.allow),
      );
    else client.destroy();
    return event(protocol, host, port, {
      rule: checked.rule,
      reason: checked.reason,
      ...(checked.address ? { address: checked.address } : {}),
    });
  }
  if ('rule' in checked) return refuse(checked);
  if ('error' in checked) {
    answer(502, 'Bad Gateway', `mcp-warden proxy: ${checked.error}\n`);
    return event(protocol, host, port, { verdict: 'error', reason: checked.error });
  }
  let firstBytes: Buffer;
  let gate: RequestGate | undefined;
  if (connect) {
    client.write(`${head.version} 200 Connection Established\r\n\r\n`);
    const inner = await checkTunnelStart(client, rest, target, port, ctx);
    if ('rule' in inner) {
      ctx.refused(inner.rule, inner.reason);
      client.destroy();
      return event(protocol, host, port, {
        rule: inner.rule,
        reason: inner.reason,
        address: checked.ip.address,
      });
    }
    firstBytes = inner.buffer;
    gate = inner.gate;
  } else {
    const hostCheck = checkHostHeader(head, target, port);
    if (hostCheck) return refuse({ ...hostCheck, address: checked.ip.address });
    // One request per forwarded connection: its body goes upstream, anything after it (a pipelined
    // request the proxy never checked) does not.
    const framing = bodyFraming(head);
    gate = new RequestGate({
      checkHead: () => 'one request per connection',
      maxRequests: 1,
      inBody: framing.kind === 'bad' ? { kind: 'none' } : framing,
    });
    const body = gate.push(rest);
    firstBytes = Buffer.concat([
      Buffer.from(originFormHead(head, parsed.path ?? '/'), 'latin1'),
      'forward' in body ? body.forward : Buffer.alloc(0),
    ]);
  }
  return relay(
    client,
    firstBytes,
    checked.ip,
    port,
    ctx,
    (rest2) => event(protocol, host, port, { address: checked.ip.address, ...rest2 }),
    () => (connect ? undefined : answer(502, 'Bad Gateway', 'mcp-warden proxy: could not connect\n')),
    gate,
  );
}

async function serveSocks(
  client: Duplex,
  initial: Buffer,
  ctx: ConnectionContext,
  event: MakeEvent,
): Promise<ConnectionEvent> {
  const greeting = await readUntil(client, initial, parseSocksGreeting, ctx.headTimeoutMs);
  const { credential } = ctx;
  const offered = greeting.result.status === 'ok' ? greeting.result : undefined;
  if (!offered || !(credential === undefined ? offered.noAuth : offered.userPass)) {
    client.end(Buffer.from([5, 0xff]));
    return offered && credential !== undefined
      ? event('socks5', '', 0, { reason: NO_CREDENTIAL })
      : event('socks5', '', 0, { verdict: 'error', reason: 'bad SOCKS5 greeting' });
  }
  let afterGreeting = greeting.buffer.subarray(offered.length);
  if (credential === undefined) client.write(Buffer.from([5, 0]));
  else {
    // RFC 1929: method 2 chosen, then the client's username/password; a wrong one ends the connection.
    client.write(Buffer.from([5, 2]));
    const auth = await readUntil(
      client,
      afterGreeting,
      (b) => parseSocksUserPass(b, credential),
      ctx.headTimeoutMs,
    );
    if (auth.result.status !== 'ok' || !auth.result.valid) {
      client.end(Buffer.from([1, 1]));
      return event('socks5', '', 0, { reason: NO_CREDENTIAL });
    }
    client.write(Buffer.from([1, 0]));
    afterGreeting = auth.buffer.subarray(auth.result.length);
  }
  const request = await readUntil(client, afterGreeting, parseSocksRequest, ctx.headTimeoutMs);
  const result = request.result;
  if (result.status !== 'ok') {
    client.end(socksReply('reply' in result ? result.reply : 1));
    return event('socks5', '', 0, {
      verdict: 'error',
      reason: 'reason' in result ? result.reason : `SOCKS5 request ${result.status}`,
    });
  }
  const { host: rawHost, port, length } = result as { host: string; port: number; length: number };
  const target = parseTarget(rawHost);
  if (!target) {
    client.end(socksReply(4));
    return event('socks5', rawHost.slice(0, 255), port, {
      verdict: 'error',
      reason: 'not a valid host name',
    });
  }
  const host = hostText(target);
  const checked = await checkAndResolve(target, port, ctx);
  if ('rule' in checked) {
    ctx.refused(checked.rule, checked.reason);
    client.end(socksReply(2));
    return event('socks5', host, port, {
      rule: checked.rule,
      reason: checked.reason,
      ...(checked.address ? { address: checked.address } : {}),
    });
  }
  if ('error' in checked) {
    client.end(socksReply(4));
    return event('socks5', host, port, { verdict: 'error', reason: checked.error });
  }
  client.write(socksReply(0));
  const inner = await checkTunnelStart(client, request.buffer.subarray(length), target, port, ctx);
  if ('rule' in inner) {
    ctx.refused(inner.rule, inner.reason);
    client.destroy();
    return event('socks5', host, port, {
      rule: inner.rule,
      reason: inner.reason,
      address: checked.ip.address,
    });
  }
  return relay(
    client,
    inner.buffer,
    checked.ip,
    port,
    ctx,
    (rest) => event('socks5', host, port, { address: checked.ip.address, ...rest }),
    () => undefined,
    inner.gate,
  );
}

/**
 * The whole decision before anything is dialled: the name (allow/deny, ports), the connection cap,
 * then resolution (the profile's `resolve` map, else DNS) and the address class of every address.
 */
async function checkAndResolve(
  target: Target,
  port: number,
  ctx: ConnectionContext,
): Promise<Refusal | { error: string } | { ip: IpAddress }> {
  const allow = allowHint(target, port);
  const byName: Decision = decideTarget(ctx.policy, target, port);
  if (!byName.allow) return { rule: byName.rule, reason: byName.reason, allow };
  if (ctx.active() > ctx.policy.maxConnections)
    return {
      rule: 'network.limit',
      reason: `more than ${ctx.policy.maxConnections} connections open at once`,
      allow,
    };
  let addresses: IpAddress[];
  if (target.kind === 'address') addresses = [target.ip];
  else {
    const mapped = ctx.policy.resolve.get(target.name);
    try {
      addresses = mapped ? [mapped] : await ctx.lookup(target.name);
    } catch {
      return { error: `${target.name} does not resolve` };
    }
    if (addresses.length === 0) return { error: `${target.name} does not resolve` };
  }
  // Every address must pass: a name answering with one public and one private address (rebinding
  // tricks) is refused rather than dialled at whichever the dialler would pick.
  for (const ip of addresses) {
    const byAddress = decideAddress(ctx.policy, ip, port, ctx.hostAddresses);
    if (!byAddress.allow) {
      const hint = allowHint({ kind: 'address', ip }, port);
      return {
        rule: byAddress.rule,
        reason: `${targetText(target, port)} resolves to ${byAddress.reason}`,
        allow: hint,
        address: ip.address,
      };
    }
  }
  return { ip: addresses[0]! };
}

/**
 * Inside a tunnel (CONNECT or SOCKS) look at what the client sends first: a TLS ClientHello must name
 * the tunnel's host (SNI; none for an IP target), a plain HTTP request must carry it as Host. Anything
 * else passes only on a port the profile named explicitly (not the web's 80/443), after a short wait
 * for protocols where the server speaks first.
 */
async function checkTunnelStart(
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

async function relay(
  client: Duplex,
  firstBytes: Buffer,
  ip: IpAddress,
  port: number,
  ctx: ConnectionContext,
  finish: (rest: Partial<ConnectionEvent>) => ConnectionEvent,
  onDialFailed: () => void,
  gate?: RequestGate,
): Promise<ConnectionEvent> {
  const counts = { out: 0, in: 0 };
  if (!ctx.takeBytesOut(firstBytes.length)) {
    client.destroy();
    return finish({ verdict: 'cut', rule: 'network.limit', reason: 'network.maxBytesOut reached' });
  }
  let upstream: Duplex;
  try {
    upstream = await ctx.dial(ip, port);
  } catch (error) {
    onDialFailed();
    client.destroy();
    return finish({ verdict: 'error', reason: `could not connect: ${(error as Error).message}` });
  }
  upstream.write(firstBytes);
  counts.out += firstBytes.length;
  const filter = gate
    ? (chunk: Buffer) => {
        const result = gate.push(chunk);
        return 'refuse' in result ? result : result.forward;
      }
    : undefined;
  const { cut, refused } = await splice(client, upstream, counts, ctx.takeBytesOut, filter);
  if (refused !== undefined) {
    ctx.refused('network.host-not-allowed', refused);
    return finish({
      rule: 'network.host-not-allowed',
      reason: refused,
      bytesOut: counts.out,
      bytesIn: counts.in,
    });
  }
  return finish({
    verdict: cut ? 'cut' : 'allow',
    ...(cut ? { rule: 'network.limit' as const, reason: 'network.maxBytesOut reached' } : {}),
    bytesOut: counts.out,
    bytesIn: counts.in,
  });
}

function parseConnectTarget(
  head: RequestHead,
): { target: Target; port: number; path?: string } | { error: string } {
  const split = splitHostPort(head.target, 443);
  if (!split || !/:\d+$/.test(head.target)) return { error: 'CONNECT needs host:port' };
  const target = parseTarget(split.host);
  return target ? { target, port: split.port } : { error: `not a valid host: ${head.target}` };
}

function parseAbsoluteTarget(
  head: RequestHead,
): { target: Target; port: number; path: string } | { error: string } {
  const match = /^http:\/\/([^/?#]*)([/?][^#]*)?$/i.exec(head.target);
  if (!match) {
    return {
      error: /^https:/i.test(head.target)
        ? 'https URLs go through CONNECT'
        : 'send requests to the proxy in absolute form (http://host/path), or use CONNECT',
    };
  }
  const authority = match[1] ?? '';
  if (authority.includes('@')) return { error: 'user info in the URL is refused' };
  const split = splitHostPort(authority, 80);
  const target = split && parseTarget(split.host);
  if (!split || !target) return { error: `not a valid host: ${authority}` };
  const path = match[2] ?? '/';
  return { target, port: split.port, path: path.startsWith('?') ? `/${path}` : path };
}

/** The Host header must be present once and name the same host and port (no domain fronting). */
function checkHostHeader(head: RequestHead, target: Target, port: number): Refusal | undefined {
  const allow = allowHint(target, port);
  const values = headerValues(head, 'host');
  if (values.length !== 1)
    return {
      rule: 'network.host-not-allowed',
      reason: 'the request must carry exactly one Host header',
      allow,
    };
  const split = splitHostPort(values[0]!, port === 443 ? 443 : 80);
  const named = split && parseTarget(split.host);
  if (named && split.port === port && hostText(named) === hostText(target)) return undefined;
  return {
    rule: 'network.host-not-allowed',
    reason: `the Host header ${JSON.stringify(values[0]!.slice(0, 100))} is not ${targetText(target, port)} (domain fronting)`,
    allow,
  };
}

/** The request as the origin gets it: origin-form target, no proxy headers, one request per connection. */
function originFormHead(head: RequestHead, path: string): string {
  const drop = new Set(['proxy-connection', 'proxy-authorization', 'connection', 'keep-alive']);
  const lines = head.headers.filter(([name]) => !drop.has(name)).map(([name, value]) => `${name}: ${value}`);
  return [`${head.method} ${path} ${head.version}`, ...lines, 'connection: close', '', ''].join('\r\n');
}

function hostText(target: Target): string {
  return target.kind === 'name' ? target.name : target.ip.address;
}
