import { lookup as dnsLookup } from 'node:dns/promises';
import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WardenError, errorMessage } from '../errors.ts';
import type { ConnectionEvent } from './connection-event.ts';
import type { EgressPolicy, NetworkRuleId } from './egress-policy.ts';
import { type IpAddress, parseIpLiteral } from './ip-literal.ts';
import { acceptHandoffs } from './listener-handoff.ts';
import { serveConnection } from './proxy-connection.ts';
import type { ConnectionContext } from './proxy-context.ts';
import { connectUpstream } from './splice.ts';

export interface EgressProxyOptions {
  policy: EgressPolicy;
  /** Every connection's audit event, when it ends. */
  onEvent: (event: ConnectionEvent) => void;
  /**
   * A connection refused (verdict deny), told at once, before the client is answered and long before
   * its event (which waits for the connection to end). Undefined: only the event tells.
   */
  onRefused?: (rule: NetworkRuleId, reason: string) => void;
  /** Injected for tests; default: DNS (getaddrinfo), after the allow decision only. */
  lookup?: (name: string) => Promise<IpAddress[]>;
  /** Injected for tests; default: a TCP connection with a 10 s timeout. */
  dial?: (ip: IpAddress, port: number) => Promise<Duplex>;
  /** Default: the host's interface addresses (os.networkInterfaces). */
  hostAddresses?: readonly string[];
  /** How long a client may take to send its request head; default 30 s. */
  headTimeoutMs?: number;
}

/**
 * The per-session egress proxy: one listener on a unix socket that only the sandbox's relay reaches,
 * speaking HTTP (CONNECT and absolute-form requests) and SOCKS5 on the same socket. It decides every
 * connection with the session's EgressPolicy before dialling anything, and audits each one.
 */
export class EgressProxy {
  readonly #options: EgressProxyOptions;
  readonly #sockets = new Set<Duplex>();
  /** Connections not yet audited: close() waits for them, so no event is lost at exit. */
  readonly #inflight = new Set<Promise<ConnectionEvent>>();
  #server: Server | undefined;
  #socketPath: string | undefined;
  /** Listeners handed over by relays (see listener-handoff.ts), and how to stop taking more. */
  readonly #adopted = new Set<Server>();
  #stopHandoffs: (() => void) | undefined;
  #active = 0;
  #bytesOut = 0;

  constructor(options: EgressProxyOptions) {
    this.#options = options;
  }

  /**
   * Serve one client stream (a socket from the listener, or an in-process pair for the isolate).
   * `credential`: the client must present it first (a connection from the host's loopback, which any
   * local process can reach: see proxy-auth.ts). Undefined: none asked.
   */
  handle(client: Duplex, credential?: string): Promise<ConnectionEvent> {
    const policy = this.#options.policy;
    this.#sockets.add(client);
    this.#active++;
    const ctx: ConnectionContext = {
      policy,
      hostAddresses: this.#options.hostAddresses ?? hostInterfaceAddresses(),
      lookup: this.#options.lookup ?? lookupAll,
      dial: async (ip, port) => {
        const socket = await (this.#options.dial ?? dialTcp)(ip, port);
        this.#sockets.add(socket);
        socket.once('close', () => this.#sockets.delete(socket));
        return socket;
      },
      active: () => this.#active,
      takeBytesOut: (bytes) => {
        if (policy.maxBytesOut !== undefined && this.#bytesOut + bytes > policy.maxBytesOut) return false;
        this.#bytesOut += bytes;
        return true;
      },
      headTimeoutMs: this.#options.headTimeoutMs ?? 30_000,
      now: () => performance.now(),
      refused: (rule, reason) => this.#options.onRefused?.(rule, reason),
      ...(credential === undefined ? {} : { credential }),
    };
    client.on('error', () => undefined);
    const served = serveConnection(client, ctx)
      .catch((error: unknown): ConnectionEvent => {
        client.destroy();
        return {
          event: 'network.connection',
          protocol: 'http',
          host: '',
          port: 0,
          verdict: 'error',
          reason: errorMessage(error),
          bytesOut: 0,
          bytesIn: 0,
          durationMs: 0,
        };
      })
      .then((event) => {
        this.#active--;
        this.#sockets.delete(client);
        this.#options.onEvent({ ...event, durationMs: Math.round(event.durationMs) });
        return event;
      });
    this.#inflight.add(served);
    void served.finally(() => this.#inflight.delete(served));
    return served;
  }

  /**
   * Listen on `socketPath` (its directory is created 0700, the socket made 0600: only the warden's
   * user, which the sandbox's uid maps to, may connect). `owner`: the uid/gid the sandbox runs as when
   * that is not the warden's (a container started by root): the directory and the socket are given to
   * it, modes unchanged, so that user and no other may connect. Undefined: the warden's own.
   * Throws WardenError('launch-failed') when it cannot.
   */
  async listen(socketPath: string, owner?: { uid: number; gid: number }): Promise<void> {
    try {
      mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
      rmSync(socketPath, { force: true });
    } catch (error) {
      throw proxyError(socketPath, error);
    }
    const server = createServer({ allowHalfOpen: true }, (socket) => void this.handle(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(proxyError(socketPath, error)));
      server.listen(socketPath, () => resolve());
    });
    try {
      chmodSync(socketPath, 0o600);
      if (owner !== undefined && (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.())) {
        // The socket first: until the directory changes hands, only the warden can reach either.
        chownSync(socketPath, owner.uid, owner.gid);
        chownSync(path.dirname(socketPath), owner.uid, owner.gid);
      }
    } catch (error) {
      server.close();
      rmSync(path.dirname(socketPath), { recursive: true, force: true });
      throw proxyError(socketPath, error);
    }
    server.unref();
    this.#server = server;
    this.#socketPath = socketPath;
    this.#stopHandoffs = acceptHandoffs(socketPath, (listener) => this.adopt(listener));
  }

  /**
   * Serve the connections of `listener`, a relay's 127.0.0.1 listener in the sandbox's network namespace
   * handed over to the warden: each is handled as one on the unix socket would be, without the relay.
   */
  adopt(listener: Server): void {
    // The settings a net.Server takes from its options, which a handed-over one was created without.
    Object.assign(listener, { allowHalfOpen: true, noDelay: true });
    listener.on('connection', (socket: Socket) => void this.handle(socket));
    listener.on('error', () => undefined);
    listener.unref();
    this.#adopted.add(listener);
  }

  /** Stop listening, end every connection, remove the socket and its directory. */
  async close(): Promise<void> {
    this.#stopHandoffs?.();
    for (const listener of this.#adopted) listener.close();
    this.#adopted.clear();
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    // Each ended connection is audited once its handler settles; wait (bounded) for those events.
    const settled = Promise.allSettled([...this.#inflight]);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.#socketPath !== undefined)
      rmSync(path.dirname(this.#socketPath), { recursive: true, force: true });
  }
}

function proxyError(socketPath: string, error: unknown): WardenError {
  return new WardenError(
    'launch-failed',
    `cannot create the egress proxy socket ${socketPath}: ${errorMessage(error)}`,
    {
      hint: 'set TMPDIR to a writable local directory (the socket path must be shorter than 108 bytes)',
      cause: error,
    },
  );
}

async function lookupAll(name: string): Promise<IpAddress[]> {
  const answers = await dnsLookup(name, { all: true, verbatim: true });
  return answers.flatMap((a) => {
    const ip = parseIpLiteral(a.address);
    return ip ? [ip] : [];
  });
}

function dialTcp(ip: IpAddress, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // Reads into one reused buffer that splice() forwards without copying.
    const socket = connectUpstream({ host: ip.address, port, allowHalfOpen: true, noDelay: true });
    socket.setTimeout(10_000, () => socket.destroy(new Error('connect timed out')));
    socket.once('connect', () => {
      socket.setTimeout(0);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function hostInterfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).flatMap((entry) => {
      const ip = parseIpLiteral(entry.address);
      return ip ? [ip.address] : [];
    }),
  );
}
