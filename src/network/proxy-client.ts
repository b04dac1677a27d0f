import { type Socket, connect } from 'node:net';

/**
 * A CONNECT carrying this header gets a refusal as a plain 403 on any port (proxy-http.ts): this
 * client reports the body itself, unlike Node's fetch, for which the proxy answers inside the tunnel.
 */
export const PLAIN_REFUSAL_HEADER = 'x-mcp-warden-refusal';

/** A response head from the proxy (status line and headers). */
export interface ResponseHead {
  status: number;
  statusText: string;
  headers: Array<[name: string, value: string]>;
  /** Bytes of the head including the blank line. */
  length: number;
}

/** The proxy's answer to a CONNECT, or its refusal, is at most this long (head and body each). */
const MAX_ANSWER_BYTES = 16 * 1024;

/** Why a request could not go through the proxy; `status` is the proxy's HTTP status when it answered. */
export class ProxyError extends Error {
  readonly code: 'ERR_WARDEN_EGRESS_REFUSED' | 'ERR_WARDEN_EGRESS_PROXY';
  readonly status: number | undefined;
  constructor(message: string, code: ProxyError['code'], status?: number) {
    super(message);
    this.name = 'ProxyError';
    this.code = code;
    this.status = status;
  }
}

/** Pure: the response head at the start of `data`: more needed, malformed, or parsed. */
export function parseResponseHead(
  data: Buffer,
): { status: 'more' } | { status: 'bad'; reason: string } | { status: 'ok'; head: ResponseHead } {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0)
    return data.length > MAX_ANSWER_BYTES
      ? { status: 'bad', reason: 'response head too large' }
      : { status: 'more' };
  if (end > MAX_ANSWER_BYTES) return { status: 'bad', reason: 'response head too large' };
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const line = /^HTTP\/1\.[01] (\d{3})(?: ([^\r\n]*))?$/.exec(lines[0] ?? '');
  if (!line) return { status: 'bad', reason: 'malformed status line' };
  const headers: Array<[string, string]> = [];
  for (const raw of lines.slice(1)) {
    const header = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(raw);
    if (!header) return { status: 'bad', reason: 'malformed header line' };
    headers.push([header[1]!.toLowerCase(), header[2]!]);
  }
  return {
    status: 'ok',
    head: { status: Number(line[1]), statusText: line[2] ?? '', headers, length: end + 4 },
  };
}

/**
 * Connect to the proxy's unix socket: the only place the isolate's shims ever connect to. Rejects with
 * ProxyError('ERR_WARDEN_EGRESS_PROXY') when the socket cannot be reached.
 */
export function dialProxy(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path: socketPath, allowHalfOpen: false });
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (error: Error): void =>
      reject(
        new ProxyError(
          `cannot reach the warden's egress proxy at ${socketPath}: ${error.message}`,
          'ERR_WARDEN_EGRESS_PROXY',
        ),
      );
    socket.once('error', onError);
  });
}

/**
 * Open a tunnel to `authority` (`host:port`, `[v6]:port`) with CONNECT through the proxy. Resolves with
 * the socket once the proxy answered 2xx; otherwise rejects with ProxyError carrying the proxy's own
 * explanation (a refusal: code ERR_WARDEN_EGRESS_REFUSED, status 403, the body naming the rule and the
 * --allow-host value). The request asks for refusals as a plain 403 on every port (PLAIN_REFUSAL_HEADER).
 */
export async function openTunnel(socketPath: string, authority: string, timeoutMs: number): Promise<Socket> {
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/.test(authority))
    throw new ProxyError(`not a host:port: ${JSON.stringify(authority)}`, 'ERR_WARDEN_EGRESS_PROXY');
  const socket = await dialProxy(socketPath);
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${PLAIN_REFUSAL_HEADER}: 403\r\n\r\n`);
  try {
    const { head, rest } = await readHead(socket, timeoutMs);
    if (head.status >= 200 && head.status < 300) {
      if (rest.length > 0) socket.unshift(rest);
      return socket;
    }
    const body = await readBody(socket, rest, head, timeoutMs);
    const refused = head.status === 403;
    throw new ProxyError(
      body.trim() || `the egress proxy answered ${head.status} ${head.statusText} to CONNECT ${authority}`,
      refused ? 'ERR_WARDEN_EGRESS_REFUSED' : 'ERR_WARDEN_EGRESS_PROXY',
      head.status,
    );
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

function readHead(socket: Socket, timeoutMs: number): Promise<{ head: ResponseHead; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const finish = (error: Error | undefined, value?: { head: ResponseHead; rest: Buffer }): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
      socket.pause();
      if (error) reject(error);
      else resolve(value!);
    };
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      const parsed = parseResponseHead(buffer);
      if (parsed.status === 'more') return;
      if (parsed.status === 'bad')
        finish(
          new ProxyError(`bad answer from the egress proxy: ${parsed.reason}`, 'ERR_WARDEN_EGRESS_PROXY'),
        );
      else finish(undefined, { head: parsed.head, rest: buffer.subarray(parsed.head.length) });
    };
    const onClose = (): void =>
      finish(
        new ProxyError('the egress proxy closed the connection without answering', 'ERR_WARDEN_EGRESS_PROXY'),
      );
    const timer = setTimeout(
      () =>
        finish(
          new ProxyError(`the egress proxy did not answer within ${timeoutMs} ms`, 'ERR_WARDEN_EGRESS_PROXY'),
        ),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
    socket.resume();
  });
}

/** The body of a non-2xx answer: Content-Length bytes, else up to the close; at most MAX_ANSWER_BYTES. */
function readBody(socket: Socket, initial: Buffer, head: ResponseHead, timeoutMs: number): Promise<string> {
  const declared = Number(head.headers.find(([name]) => name === 'content-length')?.[1]);
  const want =
    Number.isInteger(declared) && declared >= 0 ? Math.min(declared, MAX_ANSWER_BYTES) : MAX_ANSWER_BYTES;
  return new Promise((resolve) => {
    let buffer = initial;
    const done = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', done);
      socket.off('error', done);
      resolve(buffer.subarray(0, want).toString('utf8'));
    };
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length >= want) done();
    };
    if (buffer.length >= want) {
      resolve(buffer.subarray(0, want).toString('utf8'));
      return;
    }
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', onData);
    socket.once('close', done);
    socket.once('error', done);
    socket.resume();
  });
}
