import type { Duplex } from 'node:stream';
import type { ConnectionEvent } from './connection-event.ts';
import { parseTarget } from './egress-policy.ts';
import { checkAndResolve, hostText } from './connection-decision.ts';
import { type ConnectionContext, type MakeEvent, NO_CREDENTIAL } from './proxy-context.ts';
import { parseSocksUserPass } from './proxy-auth.ts';
import { readUntil } from './read-until.ts';
import { parseSocksGreeting, parseSocksRequest, socksReply } from './socks5.ts';
import { checkTunnelStart } from './tunnel-start.ts';
import { relayUpstream } from './upstream-relay.ts';

/**
 * Serve a SOCKS5 connection (RFC 1928; username/password, RFC 1929, when the session has a credential):
 * the CONNECT request is decided like an HTTP CONNECT, and the tunnel's first bytes are checked
 * (tunnel-start.ts). Resolves with its audit event once it ended.
 */
export async function serveSocks(
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
  return relayUpstream(
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
