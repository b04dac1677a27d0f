import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { forwardRequest, type ForwardOutcome } from '../../../../src/gateway/cluster/forward.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((resolve) => {
          s.closeAllConnections();
          s.close(resolve);
        }),
    ),
  );
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A front replica that forwards everything to `owner`; resolves each forward's outcome into `outcomes`. */
async function front(owner: string, outcomes: ForwardOutcome[] = []): Promise<string> {
  return listen((req, res) => {
    void forwardRequest(req, res, {
      origin: owner,
      headers: { 'x-mcp-warden-forwarded': 'signed' },
      connectTimeoutMs: 500,
      cutMessage: 'owner gone mid-call',
      onUnreachable: (r, error) => {
        r.writeHead(404, { 'content-type': 'application/json' });
        r.end(JSON.stringify({ gone: (error as NodeJS.ErrnoException).code }));
      },
    }).then((o) => outcomes.push(o));
  });
}

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'POST', headers: options.headers }, resolve);
    req.on('error', reject);
    req.end(options.body);
  });
}

async function text(res: IncomingMessage): Promise<string> {
  let out = '';
  for await (const chunk of res) out += String(chunk);
  return out;
}

describe('forwardRequest', () => {
  it('keeps only the headers that matter, adds its own, and streams the answer back', async () => {
    let seen: IncomingMessage['headers'] = {};
    let body = '';
    const owner = await listen((req, res) => {
      seen = req.headers;
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'mcp-session-id': 'S',
          connection: 'close',
        });
        res.end('event: message\ndata: {}\n\n');
      });
    });
    const res = await send(`${await front(owner)}/servers/s/mcp?x=1`, {
      headers: {
        'mcp-session-id': 'S',
        'mcp-protocol-version': '2025-06-18',
        'last-event-id': 'e1',
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        authorization: 'Bearer t',
        host: 'mcp.example.com',
        cookie: 'c=1',
        'x-mcp-warden-forwarded': 'client-chosen',
      },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['mcp-session-id']).toBe('S');
    expect(await text(res)).toBe('event: message\ndata: {}\n\n');
    expect(body).toBe('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    expect(seen).toMatchObject({
      'mcp-session-id': 'S',
      'mcp-protocol-version': '2025-06-18',
      'last-event-id': 'e1',
      authorization: 'Bearer t',
      host: 'mcp.example.com',
      'x-mcp-warden-forwarded': 'signed',
    });
    expect(seen.cookie).toBeUndefined();
  });

  it('applies backpressure: an owner flooding a client that does not read is held back, not buffered', async () => {
    const LIMIT = 256 * 1024 * 1024;
    let written = 0;
    let stalled = false;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const owner = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const pump = (): void => {
        while (written < LIMIT) {
          written += chunk.length;
          if (!res.write(chunk)) {
            stalled = true;
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const res = await send(await front(owner), { method: 'GET' });
    res.pause();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Loopback socket buffers on both hops hold a few MB at most; without backpressure the owner writes
    // the whole 256 MB into the front's memory within the wait.
    expect(stalled).toBe(true);
    expect(written).toBeLessThan(48 * 1024 * 1024);
    res.destroy();
  });

  it('answers through onUnreachable when the owner refuses the connection', async () => {
    const dead = await listen(() => undefined);
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const outcomes: ForwardOutcome[] = [];
    const res = await send(await front(dead, outcomes), { body: '{}' });
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(await text(res))).toEqual({ gone: 'ECONNREFUSED' });
    expect(outcomes).toEqual(['unreachable']);
  });

  it('answers a call whose event stream the owner cut off with a JSON-RPC error for its id', async () => {
    const owner = await listen((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\n');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const outcomes: ForwardOutcome[] = [];
    const res = await send(await front(owner, outcomes), {
      body: JSON.stringify({ jsonrpc: '2.0', id: 'call-7', method: 'tools/call', params: { name: 't' } }),
    });
    const events = await text(res);
    expect(events).toContain('notifications/progress');
    expect(events).toContain(
      `data: ${JSON.stringify({ jsonrpc: '2.0', id: 'call-7', error: { code: -32002, message: 'owner gone mid-call' } })}`,
    );
    expect(outcomes).toEqual(['cut']);
  });

  it('closes the owner side when the client goes away', async () => {
    let ownerClosed: () => void;
    const closed = new Promise<void>((resolve) => (ownerClosed = resolve));
    const owner = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      res.on('close', () => ownerClosed());
    });
    const outcomes: ForwardOutcome[] = [];
    const res = await send(await front(owner, outcomes), { method: 'GET' });
    res.destroy();
    await closed;
    expect(outcomes).toEqual(['client-gone']);
  });
});
