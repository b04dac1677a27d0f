import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { RuleId } from '../policy/types.ts';
import { terminatedError } from '../protocol/wire-errors.ts';
import { Session } from '../supervisor/session.ts';
import type { Principal } from './authenticator.ts';
import { InFlightRequests } from './in-flight-requests.ts';
import { LineSink } from './line-sink.ts';
import { methodLabel, type GatewayMetrics } from './metrics.ts';
import { ObservedAuditLog } from './observed-audit-log.ts';
import { OpenResponses } from './open-responses.ts';
import type { PreparedServer } from './prepare-servers.ts';
import { type ServerSandbox, discardServerSandbox, launchServerSandbox } from './server-sandbox.ts';
import { SessionClock } from './session-clock.ts';

export interface HttpSessionOptions {
  server: PreparedServer;
  principal: Principal;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Directory for one audit file per session; undefined: stderr. */
  auditDir: string | undefined;
  idleTimeoutMs: number;
  /**
   * A session nobody used after its handshake ends after this long (see HttpSession's "used"), well
   * before the idle timeout: a client that initialized and vanished holds a sandbox only this long.
   */
  unusedTtlMs: number;
  /**
   * Most bytes that may wait for a client that is not reading (limits.clientQueueBytes); past it the
   * session ends with client.not-reading.
   */
  clientQueueBytes: number;
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
export type EndReason =
  | 'delete'
  | 'idle'
  | 'unused'
  | 'revoked'
  | 'expired'
  | 'client-not-reading'
  | 'shutdown'
  | 'breach'
  | 'exited';

/** The rule in-flight requests are answered with (-32002) when a session ends for `reason`. */
function endRule(reason: EndReason): RuleId {
  if (reason === 'revoked') return 'auth.revoked';
  if (reason === 'expired') return 'auth.expired';
  if (reason === 'client-not-reading') return 'client.not-reading';
  return 'sandbox.exited';
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
  readonly #inFlight = new InFlightRequests();
  #sending: Promise<void> = Promise.resolve();
  readonly #responses = new OpenResponses();
  /** The Session's client output; holds the server back while a response is full. */
  readonly #sink: LineSink;
  /** Aborted when the session starts ending: nothing waits for the client any more. */
  readonly #ending = new AbortController();
  /** Idle, unused and credential-expiry timeouts. */
  readonly #clock: SessionClock;
  /** The credential of the session's latest request: its expiry and revocation end the session. */
  #credential: Principal;
  readonly #audit: ObservedAuditLog;
  #endReason: EndReason | undefined;
  /** The rule of the first kill verdict in this session's audit, if any. */
  #killRule: string | undefined;
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
    this.#credential = options.principal;
    this.transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: options.newSessionId ?? (() => randomUUID()),
      onsessioninitialized: (id) => options.onInitialized(this, id),
      // DELETE: the client ends the session; its sandbox goes with it. The SDK closes every stream as
      // soon as this returns, so requests still in flight are answered (-32002) first.
      onsessionclosed: async () => {
        this.#answerDeleted();
        await this.#sending;
        void this.end('delete');
      },
    });
    this.transport.onmessage = (message) => this.#fromClient(message);
    this.transport.onclose = () => {
      if (!this.#ended) void this.end('delete');
    };
    this.#sink = new LineSink({
      onLine: (line) => this.#fromServer(line),
      clientBacklogged: () => this.#responses.backlogged() !== undefined,
      clientReady: () => this.#responses.ready(() => this.#sending, this.#ending.signal),
      maxQueuedBytes: options.clientQueueBytes,
      onOverflow: (bytes) => this.#clientNotReading(bytes),
    });
    const { session, audit } = create(this, this.#sink);
    this.#session = session;
    this.#audit = audit;
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
        this.#clock.stop();
        // Exit 70 is a breach, unless the "breach" was the server dying under it (killed from outside,
        // crashed): that is counted as what it was.
        const reason =
          this.#endReason ?? (code === 70 && this.#killRule !== 'sandbox.exited' ? 'breach' : 'exited');
        await this.#sending;
        this.#answerUnanswered(reason);
        await this.#sending;
        await this.transport.close();
        this.#responses.closeStuck();
        if (this.#sink.dropped > 0)
          options.logger.warn(
            { session: this.wardenId, dropped: this.#sink.dropped },
            'messages dropped at the end of the session: the client was not reading',
          );
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
    this.#clock = new SessionClock(
      {
        idleTimeoutMs: options.idleTimeoutMs,
        unusedTtlMs: options.unusedTtlMs,
        onIdle: () => void this.end('idle'),
        onUnused: () => void this.end('unused'),
        onExpired: () => this.#credentialEnded('expired'),
      },
      this.#credential.expiresAt,
    );
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
          (event) => {
            if (event.event === 'verdict' && event.action === 'kill') self.#killRule ??= event.rule;
            options.metrics.observeAudit(name, event);
          },
        );
        const session = new Session({
          sessionId,
          profile: prepared.profile,
          backend: prepared.backend,
          // The plan this sandbox was launched from (its own proxy socket): a restart relaunches it.
          plan: launched.plan,
          firstSandbox: Promise.resolve(launched.sandbox),
          command: config.command,
          serverLabel: `${name} (gateway server)`,
          policy,
          audit,
          logger: options.logger.child({ session: sessionId, server: name }),
          clientIn: self.#clientIn,
          clientOut,
          serverLog: process.stderr,
          onEnding: () => self.#sessionEnding(),
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
    this.#responses.add(res);
    // A GET opens the standalone event stream (see SessionClock for what it counts as).
    if (req.method !== 'GET') {
      this.#clock.requestOpened();
      res.once('close', () => this.#clock.requestClosed());
    } else {
      this.#clock.streamOpened();
      res.once('close', () => this.#clock.streamClosed());
    }
    await this.transport.handleRequest(req, res, body);
  }

  /** End the session and its sandbox (graceful ladder unless `graceful` is false). Idempotent. */
  async end(reason: EndReason, graceful = true): Promise<number> {
    this.#endReason ??= reason;
    const text = {
      delete: 'the client ended the session',
      idle: `no client activity for ${this.#o.idleTimeoutMs} ms`,
      unused: `not used within ${this.#o.unusedTtlMs} ms of its handshake (limits.unusedSessionTtlMs)`,
      revoked: 'the credential was revoked',
      expired: 'the token expired',
      shutdown: 'the gateway is shutting down',
      breach: 'breach',
      exited: 'the server exited',
      'client-not-reading': 'the client stopped reading',
    }[reason];
    await this.#session.end(text, 0, graceful, endRule(reason));
    return this.done;
  }

  /**
   * A later request of this session authenticated as `principal` (the same principal id): from now on
   * its credential's expiry and revocation govern the session (a client that refreshed its token
   * keeps the session past the first token's `exp`).
   */
  renewCredential(principal: Principal): void {
    if (this.#ended || principal === this.#credential) return;
    this.#credential = principal;
    this.#clock.expireAt(principal.expiresAt);
  }

  /** End the session now if its credential is revoked (the revocation file changed). */
  checkRevoked(): void {
    if (this.#credential.revoked?.()) this.#credentialEnded('revoked');
  }

  /**
   * The credential is no longer valid: one audit verdict, then the sandbox is killed at once (no
   * grace for a revoked client), in-flight requests get -32002 with auth.revoked / auth.expired, and
   * the transport closes every stream, the GET stream included.
   */
  #credentialEnded(reason: 'revoked' | 'expired'): void {
    if (this.#ended || this.#endReason !== undefined) return;
    const rule = endRule(reason);
    const text = reason === 'revoked' ? 'the credential was revoked' : 'the token expired';
    this.#audit.write({ event: 'verdict', direction: 'client', action: 'kill', rule, reason: text });
    this.#o.logger.info(
      { session: this.wardenId, principal: this.principal.id, rule },
      'session ended: ' + text,
    );
    void this.end(reason, false);
  }

  // ---- client → session ------------------------------------------------------------------------

  #fromClient(message: JSONRPCMessage): void {
    const server = this.#o.server.name;
    if (!('method' in message && HANDSHAKE.has(message.method))) this.#clock.markUsed();
    if ('method' in message) {
      this.#o.metrics.messages.inc({ server, direction: 'client', method: methodLabel(message.method) });
      if ('id' in message) this.#inFlight.track(message.id, message.method, message.params);
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
      related = this.#inFlight.relatedTo(message);
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

  /**
   * Requests the session ended without answering (it ended before it read them: a breach right at
   * start-up) get -32002 like those it had read, instead of a stream that closes with no response.
   */
  #answerUnanswered(reason: EndReason): void {
    for (const { id } of this.#inFlight.list()) {
      const error = terminatedError(id, endRule(reason), `the session ended (${reason}) before answering`);
      this.#settle(id);
      this.#sending = this.#sending.then(() => this.#send(error as JSONRPCMessage, undefined));
    }
  }

  /** DELETE while requests are in flight: each gets -32002 `session.deleted` on its own stream. */
  #answerDeleted(): void {
    for (const { id } of this.#inFlight.list()) {
      const error = terminatedError(id, 'session.deleted', 'the client ended the session (DELETE)');
      this.#settle(id);
      this.#sending = this.#sending.then(() => this.#send(error as JSONRPCMessage, id));
    }
  }

  /** `id` is answered (or will be, by the warden): no longer in flight; its duration goes to the metrics. */
  #settle(id: RequestId): void {
    const request = this.#inFlight.settle(id);
    if (!request) return;
    const seconds = Number(process.hrtime.bigint() - request.started) / 1e9;
    this.#o.metrics.requestDuration.observe(
      { server: this.#o.server.name, method: methodLabel(request.method) },
      seconds,
    );
  }

  // ---- back-pressure ---------------------------------------------------------------------------

  /** More than clientQueueBytes wait for a client that is not reading: end the session. */
  #clientNotReading(queuedBytes: number): void {
    if (this.#ended || this.#endReason !== undefined) return;
    const reason = `the client is not reading its responses: ${queuedBytes} bytes wait for it (limits.clientQueueBytes ${this.#o.clientQueueBytes})`;
    this.#audit.write({
      event: 'verdict',
      direction: 'client',
      action: 'kill',
      rule: 'client.not-reading',
      reason,
    });
    this.#o.logger.warn(
      { session: this.wardenId, principal: this.principal.id, rule: 'client.not-reading' },
      `session ended: ${reason}`,
    );
    void this.end('client-not-reading', false);
  }

  /** The Session starts ending: stop holding its output back for the client. */
  #sessionEnding(): void {
    this.#ending.abort();
    this.#sink.release();
  }
}

/** Client messages that are part of opening a session, not a use of it. */
const HANDSHAKE = new Set(['initialize', 'notifications/initialized']);
