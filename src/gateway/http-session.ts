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
  /** The session's open responses (POST streams, the GET stream...): what back-pressure watches. */
  readonly #responses = new Set<ServerResponse>();
  /** The Session's client output; holds the server back while a response is full. */
  readonly #sink: LineSink;
  /** Aborted when the session starts ending: nothing waits for the client any more. */
  readonly #ending = new AbortController();
  #openRequests = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  /** Any client message after the handshake (initialize, notifications/initialized) was seen. */
  #used = false;
  /** Standalone GET streams open now: while one is, the session is not unused. */
  #openStreams = 0;
  #unusedTimer: NodeJS.Timeout | undefined;
  /** The credential of the session's latest request: its expiry and revocation end the session. */
  #credential: Principal;
  #expiryTimer: NodeJS.Timeout | undefined;
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
      clientBacklogged: () => this.#backlogged() !== undefined,
      clientReady: () => this.#clientReady(),
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
        this.#clearIdle();
        this.#clearUnused();
        clearTimeout(this.#expiryTimer);
        // Exit 70 is a breach, unless the "breach" was the server dying under it (killed from outside,
        // crashed): that is counted as what it was.
        const reason =
          this.#endReason ?? (code === 70 && this.#killRule !== 'sandbox.exited' ? 'breach' : 'exited');
        await this.#sending;
        this.#answerUnanswered(reason);
        await this.#sending;
        await this.transport.close();
        this.#closeStuckResponses();
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
    this.#armIdle();
    this.#armUnused();
    this.#armExpiry();
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
    res.once('close', () => this.#responses.delete(res));
    // A GET opens the standalone event stream: holding it open is not activity (a vanished client's
    // stream may linger), so only requests reset the idle clock.
    // It does keep an unused session: a client waiting for server notifications is there.
    if (req.method !== 'GET') {
      this.#openRequests++;
      this.#clearIdle();
      this.#clearUnused();
      res.once('close', () => {
        this.#openRequests--;
        this.#armIdle();
        this.#armUnused();
      });
    } else {
      this.#openStreams++;
      this.#clearUnused();
      res.once('close', () => {
        this.#openStreams--;
        this.#armUnused();
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
    this.#armExpiry();
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
    if (!this.#used && !('method' in message && HANDSHAKE.has(message.method))) {
      this.#used = true;
      this.#clearUnused();
    }
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
      const error = terminatedError(id, endRule(reason), `the session ended (${reason}) before answering`);
      this.#settle(id);
      this.#sending = this.#sending.then(() => this.#send(error as JSONRPCMessage, undefined));
    }
  }

  /** DELETE while requests are in flight: each gets -32002 `session.deleted` on its own stream. */
  #answerDeleted(): void {
    for (const { id } of [...this.#inFlight.values()]) {
      const error = terminatedError(id, 'session.deleted', 'the client ended the session (DELETE)');
      this.#settle(id);
      this.#sending = this.#sending.then(() => this.#send(error as JSONRPCMessage, id));
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

  // ---- back-pressure ---------------------------------------------------------------------------

  /**
   * An open response of this session that is full (the client is not reading it as fast as it gets
   * written), if any. The transport queues its events in a web stream the HTTP layer drains only as
   * the socket takes them, so a full socket is where a client that stopped reading shows.
   */
  #backlogged(): ServerResponse | undefined {
    for (const res of this.#responses) if (res.writableNeedDrain && !res.destroyed) return res;
    return undefined;
  }

  /**
   * Settles when every response of the session has taken what was sent to it: after the transport
   * queued the messages sent so far, and the HTTP layer had its turn to move them to the sockets, no
   * response is full. Also settles when the session starts ending.
   */
  async #clientReady(): Promise<void> {
    const { signal } = this.#ending;
    for (;;) {
      await this.#sending;
      await new Promise<void>((resolve) => setImmediate(resolve));
      const full = this.#backlogged();
      if (full === undefined || signal.aborted) return;
      await untilDrained(full, signal);
    }
  }

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

  /**
   * After the transport closed every stream: a response the client still does not read would hold the
   * events queued for it (and its socket) for as long as the client stays connected. Give it a moment
   * to drain, then destroy it; nothing of a dead session is kept.
   */
  #closeStuckResponses(): void {
    const open = [...this.#responses];
    this.#responses.clear();
    if (open.length === 0) return;
    const timer = setTimeout(() => {
      for (const res of open) if (!res.writableFinished) res.destroy();
    }, STUCK_RESPONSE_GRACE_MS);
    timer.unref();
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

  /**
   * A session not yet used (no client message beyond the handshake), with no request in progress and
   * no GET stream open, ends after unusedTtlMs: a client that initialized and vanished. Once used, only
   * the idle timeout applies.
   */
  #armUnused(): void {
    if (this.#ended || this.#used || this.#openRequests > 0 || this.#openStreams > 0 || this.#unusedTimer)
      return;
    this.#unusedTimer = setTimeout(() => void this.end('unused'), this.#o.unusedTtlMs);
    this.#unusedTimer.unref();
  }

  #clearUnused(): void {
    if (this.#unusedTimer) clearTimeout(this.#unusedTimer);
    this.#unusedTimer = undefined;
  }

  /** A timer at the credential's expiry (re-armed when a request brings a newer one). */
  #armExpiry(): void {
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    const at = this.#credential.expiresAt;
    if (at === undefined || this.#ended) return;
    // setTimeout caps at 2^31-1 ms (~24.8 days): a later expiry re-arms on the way.
    const wait = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1);
    this.#expiryTimer = setTimeout(() => {
      if (Date.now() >= at) this.#credentialEnded('expired');
      else this.#armExpiry();
    }, wait);
    this.#expiryTimer.unref();
  }
}

/** How long a response of an ended session may take to drain before it is destroyed. */
const STUCK_RESPONSE_GRACE_MS = 1000;

/** Resolves when `res` drains or closes, or when `signal` aborts. */
function untilDrained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Client messages that are part of opening a session, not a use of it. */
const HANDSHAKE = new Set(['initialize', 'notifications/initialized']);

function idKey(id: RequestId): string {
  return typeof id === 'number' ? `n:${id}` : `s:${id}`;
}
