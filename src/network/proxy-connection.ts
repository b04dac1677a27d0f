import type { Duplex } from 'node:stream';
import type { ConnectionEvent } from './connection-event.ts';
import type { ConnectionContext, MakeEvent } from './proxy-context.ts';
import { serveHttp } from './proxy-http.ts';
import { serveSocks } from './proxy-socks.ts';
import { readUntil } from './read-until.ts';

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
  const event: MakeEvent = (protocol, host, port, rest) => ({
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
