import { ClientAddresses } from './client-address.ts';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { isLoopback, type GatewayConfig } from '../config/gateway-schema.ts';
import { errorMessage } from '../errors.ts';
import { cacheDir } from '../util/cache-dir.ts';
import { Authenticator, type Principal } from './authenticator.ts';
import { Cluster } from './cluster/cluster.ts';
import type { ClusterSettings } from './cluster/cluster-settings.ts';
import { bearerChallenge } from './challenge.ts';
import { createGatewayServer } from './connection-hygiene.ts';
import { answerPreflight, applyCors } from './cors.ts';
import { HttpSession } from './http-session.ts';
import { readJsonBody, sendJson, sendRpcError } from './http-util.ts';
import { GatewayMetrics } from './metrics.ts';
import { checkOrigin, type OriginPolicy } from './origin-check.ts';
import type { PreparedServer } from './prepare-servers.ts';
import { RateLimiter } from './rate-limiter.ts';
import { type ServerSandbox, discardServerSandbox, launchServerSandbox } from './server-sandbox.ts';
import { WarmPool } from './warm-pool.ts';

export interface GatewayOptions {
  config: GatewayConfig;
  servers: Map<string, PreparedServer>;
  logger: Logger;
  /** Replicas sharing sessions (config.cluster, resolved); undefined: this gateway alone. */
  cluster?: ClusterSettings;
}

const MCP_PATH = /^\/servers\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})\/mcp$/;
const METADATA_PREFIX = '/.well-known/oauth-protected-resource';

/**
 * `mcp-warden gateway`: Streamable HTTP in front of sandboxed stdio servers. Each HTTP session of
 * /servers/NAME/mcp gets its own sandbox and supervisor Session; health, readiness, Prometheus metrics
 * and OAuth protected-resource metadata are served beside it.
 */
export class Gateway {
  readonly metrics = new GatewayMetrics();
  readonly #o: GatewayOptions;
  readonly #http: Server;
  readonly #auth: Authenticator | undefined;
  readonly #rate: RateLimiter;
  /** Failed authentications per client address: charged after a failure, checked before any key work. */
  readonly #authFailures: RateLimiter;
  /** Who a request comes from, through the trusted load balancers (trustedProxies). */
  readonly #clients: ClientAddresses;
  readonly #origin: OriginPolicy;
  readonly #cluster: Cluster | undefined;
  readonly #sessions = new Map<string, HttpSession>();
  /** Sessions being opened (sandbox launching): counted against maxSessions. */
  #opening = 0;
  /** The same per principal id: counted against maxSessionsPerPrincipal. */
  readonly #openingBy = new Map<string, number>();
  /** Stops watching the revocation file. */
  readonly #unwatchRevocations: () => void;
  #requestsInFlight = 0;
  #draining = false;
  #ready: { at: number; ok: boolean; reasons: string[] } | undefined;
  /** Per server with `warm` > 0: sandboxes launched ahead for its next sessions. */
  readonly #pools = new Map<string, WarmPool<ServerSandbox>>();

  constructor(options: GatewayOptions) {
    this.#o = options;
    const { config } = options;
    this.#auth =
      config.auth &&
      new Authenticator(config.auth, (problem) =>
        options.logger[problem.severity === 'error' ? 'error' : 'warn'](
          { file: problem.file, line: problem.line },
          `revocation file: ${problem.message}${problem.severity === 'error' ? ' (line ignored)' : ''}`,
        ),
      );
    this.#rate = new RateLimiter(config.limits.ratePerMinute);
    this.#authFailures = new RateLimiter(config.limits.authFailuresPerMinute);
    this.#clients = new ClientAddresses(config.trustedProxies);
    this.#cluster =
      options.cluster &&
      new Cluster(options.cluster, { registry: this.metrics.registry, logger: options.logger });
    this.#origin = {
      loopbackOnly: isLoopback(config.listen.host),
      allowedHosts: config.allowedHosts.map((h) => h.toLowerCase()),
      allowedOrigins: config.allowedOrigins,
    };
    for (const [name, server] of options.servers) {
      if (server.config.warm === 0) continue;
      const pool = new WarmPool({
        size: server.config.warm,
        // Each warm sandbox gets its own egress proxy before it launches, as a session's would.
        launch: () => launchServerSandbox(server),
        discard: discardServerSandbox,
        onError: (error) => options.logger.error({ err: error, server: name }, 'warm sandbox launch failed'),
      });
      this.#pools.set(name, pool);
    }
    // A revoked credential's open sessions end within the watcher's poll, not at their next request.
    this.#unwatchRevocations =
      this.#auth?.watchRevocations(() => {
        for (const session of new Set(this.#sessions.values())) session.checkRevoked();
      }) ?? (() => undefined);
    this.#http = createGatewayServer(config.limits, (req, res) => void this.#handle(req, res));
  }

  /** Listen; resolves with the bound address (port 0 picks a free one). */
  listen(): Promise<AddressInfo> {
    const { host, port } = this.#o.config.listen;
    return new Promise((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => {
        this.#http.off('error', reject);
        resolve(this.#http.address() as AddressInfo);
      });
    });
  }

  /** Open sessions (each with a live sandbox). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /**
   * Graceful shutdown: stop accepting connections and new sessions, let in-flight requests finish for up
   * to `graceMs`, then end every session (their sandboxes with them) and close all connections.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#draining = true;
    this.#unwatchRevocations();
    this.#cluster?.close();
    const pools = Promise.all([...this.#pools.values()].map((pool) => pool.close()));
    const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#http.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (
      Date.now() < deadline &&
      (this.#requestsInFlight > 0 || [...this.#sessions.values()].some((s) => s.busy))
    ) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const late = Date.now() >= deadline;
    await Promise.all([...this.#sessions.values()].map((s) => s.end('shutdown', !late)));
    this.#http.closeAllConnections();
    await Promise.all([closed, pools]);
  }

  // ---- routing ---------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const route = routeName(url.pathname);
    res.once('finish', () =>
      this.metrics.httpRequests.inc({ route, method: req.method ?? '', status: String(res.statusCode) }),
    );
    try {
      if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
      // Everything else (readiness, metrics, metadata, MCP) only for a Host and Origin the gateway
      // may be reached by (DNS rebinding); CORS only for allowedOrigins.
      const refusedOrigin = checkOrigin(req.headers.host, req.headers.origin, this.#origin, {
        address: req.socket.localAddress,
        port: req.socket.localPort,
      });
      if (refusedOrigin !== undefined) return sendRpcError(res, 403, -32000, refusedOrigin);
      if (applyCors(req, res, this.#origin.allowedOrigins) && req.method === 'OPTIONS')
        return answerPreflight(res);
      if (url.pathname === '/readyz') return await this.#readyz(res);
      if (url.pathname === '/metrics') {
        for (const [name, pool] of this.#pools) this.metrics.warmIdle.set({ server: name }, pool.idle);
        const text = await this.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
        res.end(text);
        return;
      }
      if (url.pathname === METADATA_PREFIX || url.pathname.startsWith(`${METADATA_PREFIX}/`)) {
        return this.#metadata(req, res, url.pathname.slice(METADATA_PREFIX.length));
      }
      const match = MCP_PATH.exec(url.pathname);
      const server = match?.[1] === undefined ? undefined : this.#o.servers.get(match[1]);
      if (!server) return sendJson(res, 404, { error: 'not found' });
      await this.#mcp(req, res, server);
    } catch (error) {
      this.#o.logger.error({ err: error, path: url.pathname }, 'request failed');
      if (!res.headersSent) sendRpcError(res, 500, -32603, 'internal error');
      else res.end();
    }
  }

  async #mcp(req: IncomingMessage, res: ServerResponse, server: PreparedServer): Promise<void> {
    if (this.#draining)
      return sendRpcError(res, 503, -32000, 'the gateway is shutting down', { connection: 'close' });

    // A request another replica forwarded: signed with the shared key, else refused outright.
    const from = this.#cluster?.requestOrigin(req) ?? { kind: 'direct' };
    if (from.kind === 'refused')
      return sendRpcError(res, 403, -32001, `forwarded request refused: ${from.reason}`);
    // An address that failed authentication too often is refused before any credential is checked
    // (a forwarding replica applied this to the client already).
    const address = this.#clients.of(req);
    const failures = this.#auth && from.kind === 'direct' ? this.#authFailures.check(address) : undefined;
    if (failures?.ok === false) {
      this.metrics.authRateLimited.inc();
      return sendRpcError(res, 429, -32000, 'too many failed authentications from this address', {
        'retry-after': String(failures.retryAfterSec),
      });
    }
    let principal = await this.#authenticate(req, res, from.kind === 'direct' ? address : undefined);
    if (!principal) return;
    // Without auth the forwarding replica saw the client; with auth the owner checked the token itself.
    if (from.kind === 'forwarded' && principal.kind === 'anonymous')
      principal = { ...principal, id: from.principal };
    // The replica that received a forwarded request already charged it.
    const rate = from.kind === 'forwarded' ? ({ ok: true } as const) : this.#rate.take(principal.id);
    if (!rate.ok) {
      this.metrics.rateLimited.inc({
        principal: this.#o.config.metrics.principalLabels ? principal.id : principal.kind,
      });
      return sendRpcError(res, 429, -32000, 'rate limit exceeded', {
        'retry-after': String(rate.retryAfterSec),
      });
    }

    // A GET is a long-lived event stream, not a request to wait for at shutdown.
    const counted = req.method !== 'GET';
    if (counted) this.#requestsInFlight++;
    try {
      const header = req.headers['mcp-session-id'];
      const sessionId = Array.isArray(header) ? header[0] : header;
      // Another replica's session: forwarded to its owner before the body is read (it is streamed).
      if (sessionId !== undefined && this.#cluster && !this.#sessions.has(sessionId)) {
        if (await this.#cluster.route(req, res, sessionId, principal, from)) return;
      }
      let body: unknown;
      if (req.method === 'POST') {
        const read = await readJsonBody(req, this.#o.config.limits.maxBodyBytes);
        if (!read.ok) return sendRpcError(res, read.status, read.code, read.message);
        if (Array.isArray(read.body))
          return sendRpcError(res, 400, -32600, 'JSON-RPC batches are not accepted');
        body = read.body;
      }
      if (sessionId !== undefined) {
        const session = this.#sessions.get(sessionId);
        if (
          !session ||
          session.ended ||
          session.principal.id !== principal.id ||
          !sameServer(session, server)
        ) {
          return sendRpcError(res, 404, -32001, 'session not found');
        }
        session.renewCredential(principal);
        await session.handle(req, res, body);
        return;
      }
      if (req.method !== 'POST' || !isInitializeRequest(body)) {
        return sendRpcError(res, 400, -32000, 'bad request: no valid session id (start with initialize)');
      }
      await this.#openSession(req, res, server, principal, body);
    } finally {
      if (counted) this.#requestsInFlight--;
    }
  }

  async #openSession(
    req: IncomingMessage,
    res: ServerResponse,
    server: PreparedServer,
    principal: Principal,
    body: unknown,
  ): Promise<void> {
    const { maxSessions, maxSessionsPerPrincipal, idleTimeoutMs, unusedSessionTtlMs } = this.#o.config.limits;
    if (this.#sessions.size + this.#opening >= maxSessions) {
      return sendRpcError(
        res,
        503,
        -32000,
        `session limit reached (${maxSessions} open on this gateway; the operator can raise limits.maxSessions)`,
        { 'retry-after': '5' },
      );
    }
    const held = this.#sessionsOf(principal.id);
    if (maxSessionsPerPrincipal !== undefined && held >= maxSessionsPerPrincipal) {
      return sendRpcError(
        res,
        429,
        -32000,
        `per-credential session limit reached (${held} of limits.maxSessionsPerPrincipal ${maxSessionsPerPrincipal} open for ${principal.id}): end one with DELETE, or the operator can raise limits.maxSessionsPerPrincipal`,
        { 'retry-after': '5' },
      );
    }
    this.#opening++;
    this.#openingBy.set(principal.id, (this.#openingBy.get(principal.id) ?? 0) + 1);
    const pool = this.#pools.get(server.name);
    let session: HttpSession;
    try {
      session = await HttpSession.open({
        server,
        principal,
        metrics: this.metrics,
        logger: this.#o.logger,
        auditDir: this.#o.config.auditDir,
        idleTimeoutMs,
        unusedTtlMs: unusedSessionTtlMs,
        clientQueueBytes: this.#o.config.limits.clientQueueBytes,
        newSessionId: this.#cluster?.newSessionId,
        launch: pool === undefined ? undefined : () => pool.take(),
        onInitialized: (opened, id) => {
          this.#sessions.set(id, opened);
          this.#o.logger.info(
            { session: opened.wardenId, server: server.name, principal: principal.id },
            'session opened',
          );
        },
        onEnded: (ended, code) => {
          for (const [id, s] of this.#sessions) if (s === ended) this.#sessions.delete(id);
          this.#o.logger.info({ session: ended.wardenId, server: server.name, code }, 'session ended');
        },
      });
    } catch (error) {
      this.#o.logger.error({ err: error, server: server.name }, 'sandbox launch failed');
      return sendRpcError(res, 503, -32002, `the sandbox could not be started: ${errorMessage(error)}`);
    } finally {
      this.#opening--;
      const opening = (this.#openingBy.get(principal.id) ?? 1) - 1;
      if (opening > 0) this.#openingBy.set(principal.id, opening);
      else this.#openingBy.delete(principal.id);
    }
    if (this.#draining) {
      await session.end('shutdown', false);
      return sendRpcError(res, 503, -32000, 'the gateway is shutting down');
    }
    await session.handle(req, res, body);
    if (session.sessionId === undefined && !session.ended) await session.end('delete', false);
  }

  /** Sessions `principalId` holds on this replica, those being opened included. */
  #sessionsOf(principalId: string): number {
    let count = this.#openingBy.get(principalId) ?? 0;
    for (const session of this.#sessions.values()) if (session.principal.id === principalId) count++;
    return count;
  }

  /** A failure other than a missing token is charged to `chargeAddress` (unset: not charged). */
  async #authenticate(
    req: IncomingMessage,
    res: ServerResponse,
    chargeAddress?: string,
  ): Promise<Principal | undefined> {
    if (!this.#auth) {
      return { kind: 'anonymous', id: `addr:${this.#clients.of(req)}`, scopes: [] };
    }
    const result = await this.#auth.authenticate(req.headers.authorization);
    if (result.ok) return result.principal;
    this.metrics.authFailures.inc({ reason: result.reason });
    if (chargeAddress !== undefined && result.reason !== 'missing') this.#authFailures.take(chargeAddress);
    const resourceMetadata = `${this.#publicBase(req)}${METADATA_PREFIX}${new URL(req.url ?? '/', 'http://x').pathname}`;
    const challenge = bearerChallenge({
      resource_metadata: resourceMetadata,
      error: result.error,
      error_description: result.description,
      scope: result.error === 'insufficient_scope' ? this.#auth.requiredScopes.join(' ') : undefined,
    });
    sendRpcError(res, result.status, -32001, result.description, { 'www-authenticate': challenge });
    return undefined;
  }

  /** RFC 9728 protected-resource metadata, for the gateway root and for each server path. */
  #metadata(req: IncomingMessage, res: ServerResponse, resourcePath: string): void {
    const auth = this.#o.config.auth;
    if (!auth) return sendJson(res, 404, { error: 'this gateway has no authorization' });
    if (resourcePath !== '' && !MCP_PATH.test(resourcePath))
      return sendJson(res, 404, { error: 'not found' });
    const servers =
      auth.authorizationServers.length > 0 ? auth.authorizationServers : auth.jwt ? [auth.jwt.issuer] : [];
    sendJson(res, 200, {
      resource: `${this.#publicBase(req)}${resourcePath}`,
      authorization_servers: servers,
      bearer_methods_supported: ['header'],
      scopes_supported: this.#auth?.requiredScopes ?? [],
      resource_name: 'mcp-warden gateway',
    });
  }

  /** auth.resource, else from the Host header, which checkOrigin has vetted (allowed, well-formed). */
  #publicBase(req: IncomingMessage): string {
    const configured = this.#o.config.auth?.resource;
    if (configured !== undefined) return configured.replace(/\/+$/, '');
    return `http://${req.headers.host ?? `${this.#o.config.listen.host}:${this.#o.config.listen.port}`}`;
  }

  /** Ready when not draining and every configured server's backend probes usable (cached 5 s). */
  async #readyz(res: ServerResponse): Promise<void> {
    if (this.#draining) return sendJson(res, 503, { status: 'draining' });
    const { maxSessions } = this.#o.config.limits;
    // At capacity a new session would get 503: say so, so a load balancer sends them elsewhere.
    if (this.#sessions.size + this.#opening >= maxSessions) {
      return sendJson(res, 503, {
        status: 'at-capacity',
        sessions: this.#sessions.size,
        opening: this.#opening,
        maxSessions,
        reasons: [`session limit reached (${maxSessions}, limits.maxSessions)`],
      });
    }
    const now = Date.now();
    if (!this.#ready || now - this.#ready.at > 5000) {
      const reasons: string[] = [];
      const backends = new Map(
        [...this.#o.servers.values()].map((s) => [s.prepared.backend.name, s.prepared.backend]),
      );
      for (const backend of backends.values()) {
        try {
          const probe = await backend.probe({ cacheDir: cacheDir(process.env) });
          if (!probe.available) reasons.push(`${backend.name}: ${probe.reason}`);
        } catch (error) {
          reasons.push(`${backend.name}: ${errorMessage(error)}`);
        }
      }
      this.#ready = { at: now, ok: reasons.length === 0, reasons };
    }
    const { ok, reasons } = this.#ready;
    sendJson(res, ok ? 200 : 503, {
      status: ok ? 'ready' : 'unavailable',
      sessions: this.#sessions.size,
      maxSessions: this.#o.config.limits.maxSessions,
      ...(reasons.length > 0 ? { reasons } : {}),
    });
  }
}

function sameServer(session: HttpSession, server: PreparedServer): boolean {
  return session.serverName === server.name;
}

function routeName(pathname: string): string {
  if (pathname === '/healthz' || pathname === '/readyz' || pathname === '/metrics') return pathname.slice(1);
  if (pathname.startsWith(METADATA_PREFIX)) return 'metadata';
  return MCP_PATH.test(pathname) ? 'mcp' : 'other';
}
