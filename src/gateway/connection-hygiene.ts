import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { GatewayConfig } from '../config/gateway-schema.ts';

/**
 * The gateway's HTTP server, with connection hygiene from `limits`:
 * - `keepAliveTimeoutMs` for idle keep-alive connections, `headersTimeoutMs` for slow headers and
 *   `requestTimeoutMs` for a whole request (408, connection closed). Node applies the request timeout
 *   only until a request has been received in full, never to its response: a GET event stream or a
 *   long tool call is not cut by it. Node checks both on an interval (`connectionsCheckingInterval`,
 *   30 s by default); it is set to a quarter of the shorter one, within 100 ms and 5 s.
 * - A connection that sends nothing at all is not covered by Node's header timeout: it is closed when
 *   no request has arrived on it `headersTimeoutMs` after it was accepted.
 * - `maxConnections`: connections past it are closed as soon as they are accepted.
 */
export function createGatewayServer(limits: GatewayConfig['limits'], listener: RequestListener): Server {
  const shortest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  const server = createServer(
    {
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(shortest / 4))),
    },
    listener,
  );
  server.maxConnections = limits.maxConnections;
  const firstRequest = new WeakMap<Socket, NodeJS.Timeout>();
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), limits.headersTimeoutMs);
    timer.unref();
    firstRequest.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: { socket: Socket }) => {
    const timer = firstRequest.get(req.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    firstRequest.delete(req.socket);
  });
  return server;
}
