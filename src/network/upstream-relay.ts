import type { Duplex } from 'node:stream';
import type { ConnectionEvent } from './connection-event.ts';
import type { IpAddress } from './ip-literal.ts';
import type { ConnectionContext } from './proxy-context.ts';
import type { RequestGate } from './request-gate.ts';
import { splice } from './splice.ts';

/**
 * Dial the address the policy allowed and splice the client to it: `firstBytes` (what the checks read)
 * go first, the session's byte cap (network.maxBytesOut) holds throughout, and `gate` checks every later
 * request of a plain-HTTP stream. Resolves with the connection's audit event (via `finish`) once it ended.
 */
export async function relayUpstream(
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
