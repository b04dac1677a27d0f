import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request headers a browser MCP client sends (Streamable HTTP, OAuth bearer, SSE resumption). */
const ALLOW_HEADERS =
  'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID';
/** Response headers its script must read: the session id, and the challenge that starts OAuth. */
const EXPOSE_HEADERS = 'Mcp-Session-Id, WWW-Authenticate';
const ALLOW_METHODS = 'GET, POST, DELETE, OPTIONS';

/**
 * CORS for the origins in `allowedOrigins` only: their responses name them in
 * Access-Control-Allow-Origin and expose Mcp-Session-Id. Any other origin gets no CORS header at all,
 * so a browser keeps the response from its script. No credentials mode: tokens travel in
 * Authorization, set by the script, never as cookies. Returns true when the origin is one of them.
 */
export function applyCors(
  req: IncomingMessage,
  res: ServerResponse,
  allowedOrigins: readonly string[],
): boolean {
  res.setHeader('vary', 'Origin');
  const origin = req.headers.origin;
  if (origin === undefined || !allowedOrigins.includes(origin)) return false;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
  return true;
}

/** Answer a CORS preflight (OPTIONS) from an allowed origin: which methods and headers may follow. */
export function answerPreflight(res: ServerResponse): void {
  res.writeHead(204, {
    'access-control-allow-methods': ALLOW_METHODS,
    'access-control-allow-headers': ALLOW_HEADERS,
    'access-control-max-age': '600',
    'content-length': '0',
  });
  res.end();
}
