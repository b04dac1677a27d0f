import type { IncomingMessage, ServerResponse } from 'node:http';

/** Send a JSON body with a status (and extra headers). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** A JSON-RPC error as an HTTP response (id null: it answers the HTTP request, not a JSON-RPC one). */
export function sendRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(
    res,
    status,
    { jsonrpc: '2.0', id: null, error: { code, message: `mcp-warden: ${message}` } },
    headers,
  );
}

/** Outcome of reading a request body: parsed JSON, or why not. */
export type BodyResult =
  { ok: true; body: unknown } | { ok: false; status: 400 | 413; code: number; message: string };

/** Read and parse a JSON body, never buffering more than `maxBytes`. */
export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > maxBytes) {
      req.resume();
      resolve({ ok: false, status: 413, code: -32600, message: `request body over ${maxBytes} bytes` });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        req.resume();
        resolve({ ok: false, status: 413, code: -32600, message: `request body over ${maxBytes} bytes` });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      try {
        resolve({ ok: true, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      } catch {
        resolve({ ok: false, status: 400, code: -32700, message: 'parse error: the body is not JSON' });
      }
    });
    req.on('error', () => {
      if (done) return;
      done = true;
      resolve({ ok: false, status: 400, code: -32700, message: 'the request body could not be read' });
    });
  });
}
