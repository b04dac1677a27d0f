/**
 * A Streamable HTTP session driven by hand (fetch), for tests that need to see exactly what happens to
 * one stream: when a GET stream ends, what an in-flight POST is answered with, a client that vanishes
 * after initialize without the SDK's follow-up requests.
 */

export const PROTOCOL_VERSION = '2025-06-18';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

export interface RawSession {
  id: string;
  url: string;
  headers: Record<string, string>;
}

/** JSON-RPC messages parsed from an SSE or JSON response body. */
export function parseMessages(body: string, contentType: string | null): Array<Record<string, unknown>> {
  if (contentType?.includes('application/json')) return [JSON.parse(body) as Record<string, unknown>];
  const out: Array<Record<string, unknown>> = [];
  for (const line of body.split('\n')) {
    if (line.startsWith('data: ') && line.length > 6)
      out.push(JSON.parse(line.slice(6)) as Record<string, unknown>);
  }
  return out;
}

/** POST one JSON-RPC message; resolves with the status, headers and the whole body once it ends. */
export async function rawPost(
  url: string,
  message: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: string; messages: Array<Record<string, unknown>> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(message),
  });
  const body = await res.text();
  const messages =
    res.status < 300 && body !== '' ? parseMessages(body, res.headers.get('content-type')) : [];
  return { status: res.status, headers: res.headers, body, messages };
}

/**
 * initialize (and, unless `initialized` is false, notifications/initialized) by hand; throws unless
 * the gateway answered 200 with a session id.
 */
export async function rawOpen(
  url: string,
  headers: Record<string, string> = {},
  initialized = true,
): Promise<RawSession> {
  const res = await rawPost(url, INITIALIZE, headers);
  const id = res.headers.get('mcp-session-id');
  if (res.status !== 200 || id === null) throw new Error(`initialize failed: ${res.status} ${res.body}`);
  const session = {
    id,
    url,
    headers: { ...headers, 'mcp-session-id': id, 'mcp-protocol-version': PROTOCOL_VERSION },
  };
  if (initialized) {
    const note = await rawPost(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session.headers);
    if (note.status !== 202) throw new Error(`notifications/initialized: ${note.status} ${note.body}`);
  }
  return session;
}

/** The initialize request body, for tests that expect it to be refused. */
export function initializeMessage(): typeof INITIALIZE {
  return INITIALIZE;
}

/** Open the session's standalone GET stream; `ended` resolves with the time (ms) the stream ended. */
export async function openGetStream(
  session: RawSession,
): Promise<{ status: number; ended: Promise<number> }> {
  const res = await fetch(session.url, {
    method: 'GET',
    headers: { ...session.headers, accept: 'text/event-stream' },
  });
  const reader = res.body?.getReader();
  const ended = (async () => {
    if (!reader) return Date.now();
    try {
      while (!(await reader.read()).done) {
        // Events are not needed here, only the end of the stream.
      }
    } catch {
      // A reset connection ends the stream as well.
    }
    return Date.now();
  })();
  return { status: res.status, ended };
}

/** DELETE the session. */
export async function rawDelete(session: RawSession): Promise<number> {
  const res = await fetch(session.url, { method: 'DELETE', headers: session.headers });
  await res.body?.cancel();
  return res.status;
}
