import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { terminatedError } from '../protocol/wire-errors.ts';
import { Session } from '../supervisor/session.ts';
import type { Principal } from './authenticator.ts';
import { LineSink } from './line-sink.ts';
import { methodLabel, type GatewayMetrics } from './metrics.ts';
import { ObservedAuditLog } from './observed-audit-log.ts';
import type { PreparedServer } from './prepare-servers.ts';
import { type ServerSandbox, discardServerSandbox, launchServerSandbox } from './server-sandbox.ts';

export interface HttpSessionOptions {
  server: PreparedServer;
  principal: Principal;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Directory for one audit file per session; undefined: stderr. */
  auditDir: string | undefined;
  idleTimeoutMs: number;
  /** Mints the Mcp-Session-Id (a cluster's ids name their owner replica); default: a random UUID. */
  newSessionId?: () => string;
  /** Called when the transport has assigned the Mcp-Session-Id (during the initialize request). */
  onInitialized: (session: HttpSession, sessionId: string) => void;
  /** Called once when the session has fully ended (sandbox gone, transport closed). */
  onEnded: (session: HttpSession, exitCode: number) => void;
  /**
   * Where the session's sandbox (and its egress proxy) comes from: the server's warm pool; default:
   * launch one now.
   */
  launch?: () => Promise<ServerSandbox>;
}

/** Why a session ended, as the metrics label it. */
export type EndReason = 'delete' | 'idle' | 'shutdown' | 'breach' | 'exited';

interface InFlight {
  id: RequestId;
  method: string;
  started: bigint;
}

/**
 * One HTTP MCP session: the SDK's Streamable HTTP server transport on the client side, a supervisor
 * Session (the same framing, policy and sandbox lifecycle as `run`) on the other. The transport's
 * messages become newline-delimited lines on the Session's client input; the Session's client output
 * is cut into lines and sent back through the transport.
 *
 * Stdio carries no link between a server's notification or request and the client request it belongs
 * to, so it is recovered here: progress notifications by progress token, anything else to the most
 * recent client request still in flight (its POST stream), or the standalone GET stream when none is.
 */
export class HttpSession {
  /** The warden's own id for this session (audit, logs); not the Mcp-Session-Id, which is a credential. */
  readonly wardenId = randomBytes(6).toString('hex');
  readonly principal: Principal;
  readonly transport: StreamableHTTPServerTransport;
  readonly #o: HttpSessionOptions;
  readonly #session: Session;
  readonly #clientIn = new PassThrough();
  readonly #inFlight = new Map<string, InFlight>();
  readonly #progress = new Map<string, RequestId>();
  #sending: Promise<void> = Promise.resolve();
  #openRequests = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #endReason: EndReason | undefined;
  #ended = false;
  /** Resolves with the Session's exit status once everything is released. */
  readonly done: Promise<number>;

  private constructor(
    options: HttpSessionOptions,
    launched: ServerSandbox,
    create: (self: HttpSession, clientOut: LineSink) => { session: Session; audit: ObservedAuditLog },
  ) {
    this.#o = options;
    this.principal = options.principal;
    this.transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: options.newSessionId ?? (() => randomUUID()),
      onsessioninitialized: (id) => options.onInitialized(this, id),
      // DELETE: the client ends the session; its sandbox goes with it.
      onsessionclosed: () => void this.end('delete'),
    });
    this.transport.onmessage = (message) => this.#fromClient(message);
    this.transport.onclose = () => {
      if (!this.#ended) void this.end('delete');
    };
    const { session, audit } = create(this, new LineSink((line) => this.#fromServer(line)));
    this.#session = session;
    const { metrics } = options;
    const server = options.server.name;
    metrics.sessionsTotal.inc({ server });
    metrics.sessionsActive.inc({ server });
    this.done = this.#session
      .run()
      .catch((error: unknown) => {
        options.logger.error({ err: error, session: this.wardenId }, 'session failed');
        return 1;
      })
      .then(async (code) => {
        this.#ended = true;
        this.#clearIdle();
        const reason = this.#endReason ?? (code === 70 ? 'breach' : 'exited');
        await this.#sending;
        this.#answerUnanswered(reason);
        await this.#sending;
        await this.transport.close();
        // The session's own proxy goes with it: connections ended (and audited), socket dir removed.
        await launched.egress?.close();
        metrics.sessionsActive.dec({ server });
        metrics.sessionsEnded.inc({ server, reason });
        options.onEnded(this, code);
        return code;
      });
    // After run() began (session.start is written): events of connections made while a warm sandbox
    // booted are replayed into this session's audit; under onDeny "kill" a refusal is its breach.
    launched.egress?.attach({
      audit: (event) => audit.write(event),
      breach: (rule, reason) => session.breach(rule, reason),
    });
    this.#armIdle();
  }

  /**
   * Launch the sandbox (rejects with the backend's WardenError when it cannot start) and wire a session
   * to it. The transport is started and ready for the client's initialize request.
   */
  static async open(options: HttpSessionOptions): Promise<HttpSession> {
    const { prepared, policy, config, name } = options.server;
    const launched = await (options.launch?.() ?? launchServerSandbox(options.server));
    let instance: HttpSession;
    try {
      instance = new HttpSession(options, launched, (self, clientOut) => {
        const sessionId = self.wardenId;
        const audit = new ObservedAuditLog(
          sessionId,
          options.auditDir === undefined
            ? undefined
            : path.join(options.auditDir, `${name}-${sessionId}.jsonl`),
          (event) => options.metrics.observeAudit(name, event),
        );
        const session = new Session({
          sessionId,
          profile: prepared.profile,
          backend: prepared.backend,
          // The plan this sandbox was launched from (its own proxy socket): a restart relaunches it.
          plan: launched.plan,
          firstSandbox: Promise.resolve(launched.sandbox),
          command: config.command,
          policy,
          audit,
          logger: options.logger.child({ session: sessionId, server: name }),
          clientIn: self.#clientIn,
          clientOut,
          serverLog: process.stderr,
        });
        return { session, audit };
      });
    } catch (error) {
      await discardServerSandbox(launched);
      throw error;
    }
    await instance.transport.start();
    return instance;
  }

  get serverName(): string {
    return this.#o.server.name;
  }

  get sessionId(): string | undefined {
    return this.transport.sessionId;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Requests (POST/DELETE) still being answered: what a graceful shutdown waits for. */
  get busy(): boolean {
    return this.#inFlight.size > 0;
  }

  /** Serve one HTTP request of this session. */
  async handle(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    // A GET opens the standalone event stream: holding it open is not activity (a vanished client's
    // stream may linger), so only requests reset the idle clock.
    if (req.method !== 'GET') {
      this.#openRequests++;
      this.#clearIdle();
      res.once('close', () => {
        this.#openRequests--;
        this.#armIdle();
      });
    }
    await this.transport.handleRequest(req, res, body);
  }

  /** End the session and its sandbox (graceful ladder unless `graceful` is false). Idempotent. */
  async end(reason: EndReason, graceful = true): Promise<number> {
    this.#endReason ??= reason;
    const text = {
      delete: 'the client ended the session',
      idle: `no client activity for ${this.#o.idleTimeoutMs} ms`,
      shutdown: 'the gateway is shutting down',
      breach: 'breach',
      exited: 'the server exited',
    }[reason];
    await this.#session.end(text, 0, graceful);
    return this.done;
  }

  // ---- client → session ------------------------------------------------------------------------

  #fromClient(message: JSONRPCMessage): void {
    const server = this.#o.server.name;
    if ('method' in message) {
      this.#o.metrics.messages.inc({ server, direction: 'client', method: methodLabel(message.method) });
      if ('id' in message) {
        const key = idKey(message.id);
        this.#inFlight.set(key, { id: message.id, method: message.method, started: process.hrtime.bigint() });
        const token = (message.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta
          ?.progressToken;
        if (typeof token === 'string' || typeof token === 'number')
          this.#progress.set(idKey(token), message.id);
      }
    } else {
      this.#o.metrics.messages.inc({ server, direction: 'client', method: 'response' });
    }
    this.#clientIn.write(`${JSON.stringify(message)}\n`);
  }

  // ---- session → client ------------------------------------------------------------------------

  #fromServer(line: Buffer): void {
    if (line.length === 0) return;
    const message = JSON.parse(line.toString('utf8')) as JSONRPCMessage;
    const server = this.#o.server.name;
    let related: RequestId | undefined;
    if ('method' in message) {
      this.#o.metrics.messages.inc({ server, direction: 'server', method: methodLabel(message.method) });
      related = this.#relatedRequest(message);
    } else {
      this.#o.metrics.messages.inc({ server, direction: 'server', method: 'response' });
      if ('id' in message && message.id !== undefined) this.#settle(message.id);
    }
    // In order, one at a time: the transport's send is async when it stores events.
    this.#sending = this.#sending.then(() => this.#send(message, related));
  }

  async #send(message: JSONRPCMessage, related: RequestId | undefined): Promise<void> {
    try {
      await this.transport.send(message, related === undefined ? undefined : { relatedRequestId: related });
      return;
    } catch {
      // The request's stream is gone (client disconnected). A notification or request can still go to
      // the standalone stream; a response has nowhere to go.
    }
    if ('method' in message && related !== undefined) {
      await this.transport.send(message).catch(() => undefined);
    }
  }

  #relatedRequest(message: JSONRPCMessage & { method: string }): RequestId | undefined {
    if (message.method === 'notifications/progress') {
      const token = (message as { params?: { progressToken?: unknown } }).params?.progressToken;
      if (typeof token === 'string' || typeof token === 'number') {
        const owner = this.#progress.get(idKey(token));
        if (owner !== undefined && this.#inFlight.has(idKey(owner))) return owner;
      }
    }
    let latest: InFlight | undefined;
    for (const request of this.#inFlight.values()) latest = request;
    return latest?.id;
  }

  /**
   * Requests the session ended without answering (it ended before it read them: a breach right at
   * start-up) get -32002 like those it had read, instead of a stream that closes with no response.
   */
  #answerUnanswered(reason: EndReason): void {
    for (const { id } of [...this.#inFlight.values()]) {
      const error = terminatedError(id, 'sandbox.exited', `the session ended (${reason}) before answering`);
      this.#settle(id);
      this.#sending = this.#sending.then(() => this.#send(error as JSONRPCMessage, undefined));
    }
  }

  #settle(id: RequestId): void {
    const key = idKey(id);
    const request = this.#inFlight.get(key);
    if (!request) return;
    this.#inFlight.delete(key);
    for (const [token, owner] of this.#progress) if (idKey(owner) === key) this.#progress.delete(token);
    const seconds = Number(process.hrtime.bigint() - request.started) / 1e9;
    this.#o.metrics.requestDuration.observe(
      { server: this.#o.server.name, method: methodLabel(request.method) },
      seconds,
    );
  }

  // ---- idle / client loss ------------------------------------------------------------------------

  /**
   * With no request in progress, the session ends after idleTimeoutMs without a new one: an idle client
   * and a lost one look the same from here.
   */
  #armIdle(): void {
    if (this.#ended || this.#openRequests > 0 || this.#idleTimer) return;
    this.#idleTimer = setTimeout(() => void this.end('idle'), this.#o.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}

function idKey(id: RequestId): string {
  return typeof id === 'number' ? `n:${id}` : `s:${id}`;
}
