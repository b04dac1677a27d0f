import {
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Request headers a forward keeps: what the owner's checks and the Streamable HTTP transport read. */
const REQUEST_HEADERS = [
  'host',
  'origin',
  'authorization',
  'accept',
  'content-type',
  'content-length',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
  'user-agent',
] as const;

/** Response headers that describe one connection, not the answer (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** How much of a request body is kept aside to learn its JSON-RPC id (the body itself is streamed). */
const PEEK_BYTES = 64 * 1024;

export interface ForwardTarget {
  /** The owner's origin (http://host:port). */
  origin: string;
  /** Added to the forwarded request (the hop signature). */
  headers: Record<string, string>;
  connectTimeoutMs: number;
  /** Answer the client when the owner could not be reached (no response header came back). */
  onUnreachable: (res: ServerResponse, error: Error) => void;
  /** The JSON-RPC error message for a call whose event stream the owner cut off mid-way. */
  cutMessage: string;
}

/**
 * How a forward ended: the owner answered in full (`ok`), could not be reached (`unreachable`), cut its
 * answer off mid-way (`cut`), or the client went away first (`client-gone`).
 */
export type ForwardOutcome = 'ok' | 'unreachable' | 'cut' | 'client-gone';

/**
 * Forward one request to `target` and stream the answer back. Both directions are piped, so a client
 * that stops reading stops the owner's writes (and a slow upload, the owner's reads): nothing is
 * buffered here beyond the sockets' own buffers. When the owner's answer is an event stream that ends
 * early and the request was a JSON-RPC call, the call is answered with a JSON-RPC error event.
 */
export function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: ForwardTarget,
): Promise<ForwardOutcome> {
  return new Promise((resolve) => {
    let outcome: ForwardOutcome | undefined;
    const finish = (value: ForwardOutcome): void => {
      if (outcome !== undefined) return;
      outcome = value;
      resolve(value);
    };
    const url = new URL(req.url ?? '/', target.origin);
    const headers: Record<string, string | string[]> = {};
    for (const name of REQUEST_HEADERS) {
      const value: string | string[] | undefined = req.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    Object.assign(headers, target.headers);
    // A fresh connection per forward: a request body that is streamed cannot be retried on a stale
    // keep-alive socket, and an event stream holds its connection for long anyway.
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(url, { method: req.method, headers, agent: false });

    const peek: Buffer[] = [];
    let peeked = 0;
    req.on('data', (chunk: Buffer) => {
      if (peeked >= PEEK_BYTES) return;
      peek.push(chunk);
      peeked += chunk.length;
    });
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);

    upstream.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => {
        const error = Object.assign(new Error(`no connection within ${target.connectTimeoutMs} ms`), {
          code: 'ETIMEDOUT',
        });
        upstream.destroy(error);
      }, target.connectTimeoutMs);
      timer.unref();
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });

    let answered = false;
    upstream.on('error', (error) => {
      // After the answer began, its own close handler decides; before, the owner was never reached.
      if (answered || outcome !== undefined) return;
      req.unpipe(upstream);
      req.resume();
      if (!res.headersSent && !res.destroyed) target.onUnreachable(res, error);
      finish('unreachable');
    });

    upstream.on('response', (answer) => {
      answered = true;
      const out: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, out);
      // An event stream must reach the client now, not with its first event.
      res.flushHeaders();
      answer.on('error', () => undefined);
      answer.pipe(res);
      answer.on('close', () => {
        if (answer.complete) return finish('ok');
        if (outcome !== undefined) return;
        answer.unpipe(res);
        endCutStream(req, res, answer, peek, target.cutMessage);
        finish('cut');
      });
    });

    res.on('close', () => {
      if (res.writableFinished) return;
      upstream.destroy();
      finish('client-gone');
    });
  });
}

/**
 * The owner's answer stopped before its end. An event stream is ended cleanly, with an error for the
 * call it carried (when the request was one); anything else is cut, as it was.
 */
function endCutStream(
  req: IncomingMessage,
  res: ServerResponse,
  answer: IncomingMessage,
  peek: Buffer[],
  message: string,
): void {
  if (res.destroyed) return;
  if (!String(answer.headers['content-type'] ?? '').startsWith('text/event-stream')) {
    res.destroy();
    return;
  }
  const id = req.method === 'POST' ? requestId(peek) : undefined;
  if (id === undefined) {
    res.end();
    return;
  }
  const error = { jsonrpc: '2.0', id, error: { code: -32002, message } };
  res.end(`event: message\ndata: ${JSON.stringify(error)}\n\n`);
}

/** The id of the JSON-RPC request in a (peeked) body, if it is one. */
function requestId(peek: Buffer[]): string | number | undefined {
  try {
    const message = JSON.parse(Buffer.concat(peek).toString('utf8')) as unknown;
    if (typeof message !== 'object' || message === null || !('method' in message) || !('id' in message))
      return undefined;
    const { id } = message as { id: unknown };
    return typeof id === 'string' || typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}
