import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Principal } from '../authenticator.ts';
import { sendRpcError } from '../http-util.ts';
import type { ClusterSettings } from './cluster-settings.ts';
import { forwardRequest } from './forward.ts';
import { HOP_HEADER, signHop, verifyHop } from './hop-signature.ts';
import { PeerSet, type ResolveAll } from './peer-set.ts';
import { SessionIdCodec, replicaId } from './session-id.ts';

export interface ClusterDeps {
  /** The gateway's metrics registry: cluster metrics are served with the rest. */
  registry: Registry;
  logger: Logger;
  /** DNS resolution of peersDns.name (tests); default: the system resolver. */
  resolve?: ResolveAll;
}

/**
 * Who sent a request: a client (`direct`), another replica forwarding it with a valid signature
 * (`forwarded`, with the principal that replica authenticated), or someone presenting a signature that
 * does not verify (`refused`).
 */
export type RequestOrigin =
  { kind: 'direct' } | { kind: 'forwarded'; principal: string } | { kind: 'refused'; reason: string };

const GONE = 'the gateway replica that owned this session is gone: start a new session (initialize)';
const CUT =
  'mcp-warden: the gateway replica that owned this session went away during the call; start a new session (initialize)';

/**
 * One replica of a cluster: mints session ids that name this replica, and routes a request for another
 * replica's session to that owner (streamed both ways, signed with the shared key). A forwarded request
 * is never forwarded again; an id that does not verify is an unknown session and goes nowhere.
 */
export class Cluster {
  readonly self: string;
  readonly #settings: ClusterSettings;
  readonly #selfId: string;
  readonly #codec: SessionIdCodec;
  readonly #peers: PeerSet;
  readonly #logger: Logger;
  readonly #forwards: Counter<'method' | 'outcome'>;
  readonly #received: Counter<'method'>;
  readonly #refused: Counter<'reason'>;

  constructor(settings: ClusterSettings, deps: ClusterDeps) {
    this.#settings = settings;
    this.self = settings.self;
    this.#selfId = replicaId(settings.key, settings.self);
    this.#codec = new SessionIdCodec(settings.key, this.#selfId);
    this.#logger = deps.logger;
    this.#peers = new PeerSet(settings.key, settings.self, settings.peers, deps.logger, deps.resolve);
    const registers = [deps.registry];
    this.#forwards = new Counter({
      name: 'mcp_warden_cluster_forwards_total',
      help: 'Requests forwarded to the replica owning their session, by outcome (ok, unreachable, gone, cut, client-gone).',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.#received = new Counter({
      name: 'mcp_warden_cluster_forwarded_received_total',
      help: 'Requests another replica forwarded here, with a valid signature.',
      labelNames: ['method'],
      registers,
    });
    this.#refused = new Counter({
      name: 'mcp_warden_cluster_refused_total',
      help: 'Requests refused by the cluster layer: session-id (not minted with the key), signature (a forwarded request that does not verify), misrouted (forwarded here for a session owned elsewhere).',
      labelNames: ['reason'],
      registers,
    });
    const peers = this.#peers;
    new Gauge({
      name: 'mcp_warden_cluster_peers',
      help: 'Replicas known, this one included.',
      registers,
      collect() {
        this.set(peers.size);
      },
    });
  }

  /** A new Mcp-Session-Id owned by this replica (the transport's session id generator). */
  readonly newSessionId = (): string => this.#codec.mint();

  /** Whether `req` was forwarded by a replica; a signature that does not verify is refused. */
  requestOrigin(req: IncomingMessage): RequestOrigin {
    const header = req.headers[HOP_HEADER];
    if (header === undefined) return { kind: 'direct' };
    const sessionId = req.headers['mcp-session-id'];
    let verdict;
    if (typeof header !== 'string' || typeof sessionId !== 'string') {
      verdict = { ok: false as const, reason: 'a forwarded request names exactly one session' };
    } else {
      verdict = verifyHop(
        this.#settings.key,
        header,
        { method: req.method ?? '', path: req.url ?? '', sessionId },
        Date.now(),
        this.#settings.maxClockSkewMs,
      );
    }
    if (!verdict.ok) {
      this.#refused.inc({ reason: 'signature' });
      this.#logger.warn(
        { reason: verdict.reason, from: req.socket.remoteAddress },
        'cluster: forged forward refused',
      );
      return { kind: 'refused', reason: verdict.reason };
    }
    this.#received.inc({ method: req.method ?? '' });
    return { kind: 'forwarded', principal: verdict.principal };
  }

  /**
   * Serve a request whose session this replica does not hold, when it belongs elsewhere. Returns false
   * when the id is this replica's own (an ended or never-known session: the caller answers 404), else
   * answers it (forwarded to the owner, or a 404 for a forged id or a gone owner) and returns true.
   */
  async route(
    req: IncomingMessage,
    res: ServerResponse,
    sessionId: string,
    principal: Principal,
    origin: RequestOrigin,
  ): Promise<boolean> {
    const method = req.method ?? '';
    const owner = this.#codec.owner(sessionId);
    if (owner === undefined) {
      this.#refused.inc({ reason: 'session-id' });
      sendRpcError(res, 404, -32001, 'session not found');
      return true;
    }
    if (owner === this.#selfId) return false;
    if (origin.kind === 'forwarded') {
      // The forwarding replica thinks this one owns the session, this one does not: the peer lists
      // disagree. Never forward twice (no loops); the client starts over.
      this.#refused.inc({ reason: 'misrouted' });
      this.#logger.warn(
        { from: req.socket.remoteAddress },
        'cluster: forwarded request for a session owned elsewhere',
      );
      sendRpcError(res, 404, -32001, 'session not found');
      return true;
    }
    const target = await this.#peers.origin(owner);
    if (target === undefined) {
      this.#forwards.inc({ method, outcome: 'gone' });
      sendRpcError(res, 404, -32001, GONE);
      return true;
    }
    const signature = signHop(
      this.#settings.key,
      { method, path: req.url ?? '', sessionId, principal: principal.id },
      Date.now(),
    );
    const outcome = await forwardRequest(req, res, {
      origin: target,
      headers: { [HOP_HEADER]: signature },
      connectTimeoutMs: this.#settings.connectTimeoutMs,
      cutMessage: CUT,
      onUnreachable: (r, error) => {
        this.#logger.warn({ err: error, owner: target }, 'cluster: the owner of a session is unreachable');
        sendRpcError(r, 404, -32001, GONE);
      },
    });
    this.#forwards.inc({ method, outcome });
    return true;
  }

  /** Stop refreshing peers. */
  close(): void {
    this.#peers.close();
  }
}
