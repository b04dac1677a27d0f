// Guest side of the isolate's network: one HTTP request at a time handed to the host (host-net-ops.ts),
// which sends it through the warden's egress proxy and streams the answer back as 'net' events. fetch
// (fetch.ts) and http/https (http.ts) are built on this; nothing here can name a socket or an address
// the host would dial: the host only ever connects to the proxy.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { host, onHostEvent } from './bridge.ts';

/** What the host needs for one request (see RequestSpec in host-net-ops.ts). */
export interface RequestSpec {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
  path: string;
  method: string;
  headers: Array<[string, string]>;
  body: Uint8Array | null;
  decompress: boolean;
  tls?: { rejectUnauthorized?: boolean; ca?: string[] };
}

/** The status line and headers of a response (headers as Node's rawHeaders: name, value, ...). */
export interface ResponseHead {
  status: number;
  statusText: string;
  headers: string[];
}

/** Callbacks of one request, called in order: response, data..., then end or error. */
export interface RequestHandlers {
  response(head: ResponseHead): void;
  data(chunk: Uint8Array): void;
  end(): void;
  error(error: Error & { code?: string }): void;
}

interface NetInfo {
  enabled: boolean;
  maxBodyBytes: number;
}

let info: NetInfo | undefined;
/** Whether the profile gives this server a network (an allowlist), and the body cap; asked once. */
export function netInfo(): NetInfo {
  info ??= host<NetInfo>('net.info');
  return info;
}

const open = new Map<number, RequestHandlers>();
let nextId = 1;

onHostEvent('net', (event: any) => {
  const handlers = open.get(event.id);
  if (handlers === undefined) return;
  if (event.type === 'response')
    handlers.response({ status: event.status, statusText: event.statusText, headers: event.headers });
  else if (event.type === 'data') handlers.data(event.chunk);
  else if (event.type === 'end') {
    open.delete(event.id);
    handlers.end();
  } else if (event.type === 'error') {
    open.delete(event.id);
    handlers.error(Object.assign(new Error(event.message), { code: event.code }));
  }
});

/** A request in flight: flow control (the host starts paused after the head) and abort. */
export class HostRequest {
  readonly #id: number;
  #flowing = false;
  constructor(id: number) {
    this.#id = id;
  }
  /** Let the host send body chunks (true) or hold them (false); repeated calls are free. */
  flow(on: boolean): void {
    if (this.#flowing === on || !open.has(this.#id)) return;
    this.#flowing = on;
    host('net.flow', this.#id, on);
  }
  /** End the request now; no more handlers are called. */
  abort(): void {
    if (open.delete(this.#id)) host('net.abort', this.#id);
  }
}

/** Send one request; throws at once (a TypeError) when the host refuses what was asked. */
export function startRequest(spec: RequestSpec, handlers: RequestHandlers): HostRequest {
  const id = nextId++;
  open.set(id, handlers);
  try {
    host('net.request', id, spec);
  } catch (error) {
    open.delete(id);
    throw error;
  }
  return new HostRequest(id);
}
