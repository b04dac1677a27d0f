import type { Duplex } from 'node:stream';
import type { ConnectionEvent } from './connection-event.ts';
import { parseTarget, type Target } from './egress-policy.ts';
import { bodyFraming, headerValues, parseRequestHead, type RequestHead, splitHostPort } from './http-head.ts';
import { checkAndResolve, checkHostHeader, hostText } from './connection-decision.ts';
import {
  type ConnectionContext,
  type MakeEvent,
  NO_CREDENTIAL,
  type Protocol,
  type Refusal,
} from './proxy-context.ts';
import { PLAIN_REFUSAL_HEADER } from './proxy-client.ts';
import { hasProxyCredential } from './proxy-auth.ts';
import { readUntil } from './read-until.ts';
import { httpResponse, refusalStatusText, refusalText } from './refusal-text.ts';
import { RequestGate } from './request-gate.ts';
import { checkTunnelStart } from './tunnel-start.ts';
import { relayUpstream } from './upstream-relay.ts';

/**
 * Serve an HTTP proxy connection: a CONNECT tunnel (its first bytes checked: tunnel-start.ts) or one
 * plain request in absolute form, forwarded in origin form. Resolves with its audit event once it ended.
 */
export async function serveHttp(
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
  return relayUpstream(
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

/** The request as the origin gets it: origin-form target, no proxy headers, one request per connection. */
function originFormHead(head: RequestHead, path: string): string {
  const drop = new Set(['proxy-connection', 'proxy-authorization', 'connection', 'keep-alive']);
  const lines = head.headers.filter(([name]) => !drop.has(name)).map(([name, value]) => `${name}: ${value}`);
  return [`${head.method} ${path} ${head.version}`, ...lines, 'connection: close', '', ''].join('\r\n');
}
