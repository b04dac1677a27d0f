import type { ClientRequest, IncomingMessage } from 'node:http';
import { type Socket, isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { dialProxy, openTunnel } from '../../network/proxy-client.ts';
import type { HostOp } from './host-ops.ts';
import { type RequestSpec, authorityOf, originHeaders, parseRequestSpec } from './host-net-request.ts';

/**
 * Bytes of one response handed to the guest that it has not yet taken in: past this the response is
 * paused (TCP backpressure reaches the proxy and the origin), so the host never holds more per request.
 */
export const IN_TRANSIT_BYTES = 1 << 20;
/** Requests open at once in one isolate (the proxy's maxConnections is usually the tighter bound). */
export const MAX_OPEN_REQUESTS = 256;
/** How long the proxy may take to answer a CONNECT (it resolves the name first). */
const CONNECT_TIMEOUT_MS = 30_000;
/** What the isolate's network ops need from host-main. */
export interface NetOpsContext {
  /** The egress proxy's unix socket; undefined: the profile gives no network, every request throws. */
  socketPath: string | undefined;
  /** Deliver an event to the guest; the promise settles once the guest has run its handler. */
  toGuest: (kind: string, payload: unknown) => Promise<unknown> | void;
  /** PEM text of CAs trusted beside Node's bundled roots (the server's NODE_EXTRA_CA_CERTS), or undefined. */
  extraCa: () => string | undefined;
  /** Request bodies held by the host at once, in bytes (the guest's heap size). */
  maxBodyBytes: number;
}

/** Events sent to the guest (kind 'net'), in this order: response, data..., then end or error. */
export type NetEvent =
  | { id: number; type: 'response'; status: number; statusText: string; headers: string[] }
  | { id: number; type: 'data'; chunk: Uint8Array }
  | { id: number; type: 'end' }
  | { id: number; type: 'error'; message: string; code: string };

interface Open {
  id: number;
  done: boolean;
  guestPaused: boolean;
  inTransit: number;
  bodyBytes: number;
  connection?: Socket;
  tunnel?: Socket;
  request?: ClientRequest;
  source?: Readable;
}

/**
 * The isolate's network: `net.request` sends one HTTP request through the warden's egress proxy and
 * streams the answer back as 'net' events; the unix socket of the proxy is the only thing ever dialled
 * (plain HTTP as an absolute-form request to the proxy, HTTPS as CONNECT then TLS with SNI = the host).
 * `net.flow` pauses and resumes a response, `net.abort` ends a request; `net.info` tells the guest
 * whether it has a network at all. Without a socket every request throws.
 */
export function createNetOps(ctx: NetOpsContext): Record<string, HostOp> {
  const open = new Map<number, Open>();
  let bodyBytes = 0;
  let ca: string[] | undefined;
  // Loaded at the first request: most isolates never make one, and these cost tens of ms to load.
  const http = () => process.getBuiltinModule('node:http');
  const tls = () => process.getBuiltinModule('node:tls');
  const zlib = () => process.getBuiltinModule('node:zlib');
  const defaultCa = (): string[] => {
    if (ca === undefined) {
      const extra = ctx.extraCa();
      const roots = tls().rootCertificates;
      ca = extra === undefined ? [...roots] : [...roots, extra];
    }
    return ca;
  };

  const finish = (state: Open, event?: NetEvent): void => {
    if (state.done) return;
    state.done = true;
    open.delete(state.id);
    bodyBytes -= state.bodyBytes;
    state.bodyBytes = 0;
    state.source?.destroy();
    state.request?.destroy();
    state.connection?.destroy();
    state.tunnel?.destroy();
    if (event) void ctx.toGuest('net', event);
  };
  const failed = (state: Open, error: unknown): void => {
    const e = error as { message?: string; code?: string };
    finish(state, {
      id: state.id,
      type: 'error',
      message: String(e?.message ?? error),
      code: typeof e?.code === 'string' ? e.code : 'ECONNRESET',
    });
  };
  const flow = (state: Open): void => {
    const source = state.source;
    if (!source || state.done) return;
    if (state.guestPaused || state.inTransit > IN_TRANSIT_BYTES) source.pause();
    else source.resume();
  };

  const respond = (state: Open, spec: RequestSpec, res: IncomingMessage): void => {
    if (state.done) return void res.destroy();
    void ctx.toGuest('net', {
      id: state.id,
      type: 'response',
      status: res.statusCode ?? 0,
      statusText: res.statusMessage ?? '',
      headers: res.rawHeaders,
    } satisfies NetEvent);
    const bodyless = spec.method.toUpperCase() === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
    const encoding = String(res.headers['content-encoding'] ?? '')
      .trim()
      .toLowerCase();
    const z = spec.decompress && !bodyless ? zlib() : undefined;
    const decoder =
      z === undefined
        ? undefined
        : encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate'
          ? z.createUnzip({ finishFlush: z.constants.Z_SYNC_FLUSH })
          : encoding === 'br'
            ? z.createBrotliDecompress({ finishFlush: z.constants.BROTLI_OPERATION_FLUSH })
            : undefined;
    const source: Readable = decoder ? res.pipe(decoder) : res;
    if (decoder) res.once('error', (error) => decoder.destroy(error));
    state.source = source;
    source.pause();
    // One event in flight at a time; what arrives meanwhile goes in the next, as one chunk (fewer,
    // larger crossings into the isolate). Everything held counts as in transit.
    let batch: Buffer[] = [];
    let delivering = false;
    const deliver = (): void => {
      if (state.done || batch.length === 0) {
        delivering = false;
        return;
      }
      delivering = true;
      // A fresh, exactly sized copy: never a view into a pooled host buffer.
      const chunk = batch.length === 1 ? new Uint8Array(batch[0]!) : new Uint8Array(Buffer.concat(batch));
      batch = [];
      const delivered = ctx.toGuest('net', { id: state.id, type: 'data', chunk } satisfies NetEvent);
      void Promise.resolve(delivered).finally(() => {
        state.inTransit -= chunk.byteLength;
        flow(state);
        deliver();
      });
    };
    source.on('data', (chunk: Buffer) => {
      if (state.done) return;
      state.inTransit += chunk.byteLength;
      batch.push(chunk);
      flow(state);
      if (!delivering) deliver();
    });
    source.once('end', () => {
      // Events reach the guest in the order they are sent: the last batch, then the end.
      if (batch.length > 0) {
        const chunk = new Uint8Array(Buffer.concat(batch));
        batch = [];
        void ctx.toGuest('net', { id: state.id, type: 'data', chunk } satisfies NetEvent);
      }
      finish(state, { id: state.id, type: 'end' });
    });
    source.once('error', (error) => failed(state, error));
    res.once('close', () => {
      if (!res.complete)
        failed(
          state,
          Object.assign(new Error('the connection closed before the response ended'), { code: 'ECONNRESET' }),
        );
    });
    flow(state);
  };

  const run = async (state: Open, spec: RequestSpec, socketPath: string): Promise<void> => {
    const authority = authorityOf(spec.hostname, spec.port);
    const https = spec.protocol === 'https:';
    let connection: Socket;
    if (https) {
      const tunnel = await openTunnel(socketPath, authority, CONNECT_TIMEOUT_MS);
      state.tunnel = tunnel;
      // TLS reports the tunnel's failures as its own.
      tunnel.on('error', () => undefined);
      if (state.done) return void tunnel.destroy();
      connection = tls().connect({
        socket: tunnel,
        ...(isIP(spec.hostname) ? {} : { servername: spec.hostname }),
        ca: spec.tls.ca ?? defaultCa(),
        rejectUnauthorized: spec.tls.rejectUnauthorized,
        ALPNProtocols: ['http/1.1'],
      });
    } else connection = await dialProxy(socketPath);
    state.connection = connection;
    if (state.done) return void connection.destroy();
    const request = http().request({
      // The only connection this request can use: the proxy (or the tunnel through it). No agent, so
      // Node never dials anything itself.
      createConnection: () => connection,
      method: spec.method,
      path: https ? spec.path : `http://${authority}${spec.path}`,
      headers: originHeaders(spec),
      setHost: false,
    });
    state.request = request;
    request.once('response', (res) => respond(state, spec, res));
    request.once('upgrade', () =>
      failed(
        state,
        Object.assign(new Error('protocol upgrades (WebSocket) are not available under --profile isolate'), {
          code: 'ERR_WARDEN_UNAVAILABLE',
        }),
      ),
    );
    request.once('error', (error) => failed(state, error));
    request.end(spec.body ?? undefined, () => {
      // Sent: the body's copy is no longer held.
      bodyBytes -= state.bodyBytes;
      state.bodyBytes = 0;
    });
  };

  const get = (id: unknown): Open | undefined => open.get(Number(id));
  return {
    'net.info': () => ({ enabled: ctx.socketPath !== undefined, maxBodyBytes: ctx.maxBodyBytes }),
    'net.request': (id, value) => {
      const socketPath = ctx.socketPath;
      if (socketPath === undefined)
        throw Object.assign(new Error('mcp-warden: the profile gives this server no network'), {
          code: 'ERR_WARDEN_UNAVAILABLE',
        });
      const key = Number(id);
      if (!Number.isSafeInteger(key) || open.has(key)) throw new TypeError('mcp-warden: bad request id');
      if (open.size >= MAX_OPEN_REQUESTS)
        throw new Error(
          `mcp-warden: more than ${MAX_OPEN_REQUESTS} requests open at once under --profile isolate`,
        );
      const spec = parseRequestSpec(value);
      const size = spec.body?.byteLength ?? 0;
      if (bodyBytes + size > ctx.maxBodyBytes)
        throw new RangeError(
          `mcp-warden: request bodies of more than ${Math.round(ctx.maxBodyBytes / 2 ** 20)} MB at once (the isolate's memory limit; raise it with --memory)`,
        );
      bodyBytes += size;
      const state: Open = { id: key, done: false, guestPaused: true, inTransit: 0, bodyBytes: size };
      open.set(key, state);
      run(state, spec, socketPath).catch((error: unknown) => failed(state, error));
      return null;
    },
    'net.flow': (id, on) => {
      const state = get(id);
      if (state) {
        state.guestPaused = on !== true;
        flow(state);
      }
      return null;
    },
    'net.abort': (id) => {
      const state = get(id);
      if (state) finish(state);
      return null;
    },
  };
}

/**
 * The server's NODE_EXTRA_CA_CERTS (a path in its environment, set by the user with --env): PEM text the
 * host trusts for the guest's HTTPS beside Node's bundled roots, as Node itself would. Undefined when
 * unset; when it cannot be read, a warning on stderr (the server's log) and undefined, as Node does.
 */
export function readExtraCa(file: string | undefined): string | undefined {
  if (file === undefined || file === '') return undefined;
  try {
    const { statSync, readFileSync } = process.getBuiltinModule('node:fs');
    if (statSync(file).size > 1 << 20) throw new Error('larger than 1 MB');
    return readFileSync(file, 'utf8');
  } catch (error) {
    process.stderr.write(
      `mcp-warden: NODE_EXTRA_CA_CERTS ${file} could not be read (${(error as Error).message}); HTTPS trusts the default CAs only\n`,
    );
    return undefined;
  }
}
