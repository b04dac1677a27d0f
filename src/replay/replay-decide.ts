import { decideAddress, decideTarget, parseTarget } from '../network/egress-policy.ts';
import type { EgressMode } from '../network/egress-settings.ts';
import { parseIpLiteral } from '../network/ip-literal.ts';
import { decide } from '../policy/decide.ts';
import { learnTools } from '../policy/tool-info.ts';
import type { Direction, PolicyContext, Verdict } from '../policy/types.ts';
import { type JsonRpcMessage, idKey } from '../protocol/json-rpc.ts';
import { parseLine } from '../protocol/parse-line.ts';
import { SessionState } from '../supervisor/session-state.ts';
import { isRecord } from '../util/is-record.ts';
import { summarizeArguments } from './argument-summary.ts';
import type { RecordedSession } from './read-record.ts';
import type { MessageLine, NetworkLine, RecordedVerdict } from './record-format.ts';

/** What one decision came to: allowed, or refused (deny, or kill for a server breach) by a rule. */
export type Outcome =
  { allowed: true } | { allowed: false; action: 'deny' | 'kill'; rule: string; reason: string };

/** One decision that differs between the recording and the profile replayed. */
export interface Change {
  file: string;
  /** The session's id (from its header). */
  session: string;
  /** Line of the record the decision is about. */
  line: number;
  seq: number;
  kind: 'allowed → denied' | 'denied → allowed' | 'rule changed';
  /** client / server: a message in that direction; network: a connection through the egress proxy. */
  direction: Direction | 'network';
  /** The message's method, or the connection's protocol. */
  method: string;
  /** The tool called (tools/call only). */
  tool?: string;
  /** Redacted one-line summary of the arguments (argument-summary.ts), or `host:port`. */
  summary: string;
  before: Outcome;
  after: Outcome;
}

/** What replaying one recorded session found. */
export interface SessionReplay {
  file: string;
  session: string;
  profile: { name: string; sha256: string };
  /** Messages decided again. */
  messages: number;
  /** Network connections decided again. */
  connections: number;
  /**
   * Server messages not decided again: answers to requests the replayed profile denies (the server
   * would never have been asked).
   */
  skipped: number;
  /**
   * Lines that cannot be decided again: unparseable or oversize lines (only their rule was recorded)
   * and connections refused for reasons other than their host (network.limit, network.sni-mismatch).
   */
  notRedecided: number;
  changes: Change[];
}

/** Everything replay decides with, under the profile replayed. */
export interface ReplayContext {
  /** The policy engine's context: policy, roots, host path lookups, tool pins. */
  policy: PolicyContext;
  /** The profile's egress (network and --allow-host). */
  egress: EgressMode;
  /** The host's own addresses (the proxy refuses them like private ones). */
  hostAddresses: readonly string[];
}

/**
 * Decide every recorded message of `session` again under `ctx` with the real policy engine, in the
 * recorded order, keeping the session's state (requests in flight, tools listed, pins) as the
 * supervisor keeps it, and compare each decision with the recorded one. Framing limits that depend on
 * the profile (message size, nesting depth) are checked from the recorded sizes first.
 *
 * The replay follows the recorded traffic: a client request the profile now denies is not "sent", so
 * the server's recorded answer to it is skipped (not decided); a request now allowed that was denied
 * has no recorded answer; after a server message the profile would now kill, the replay goes on as
 * the recording did, so every later difference is reported too. No sandbox, no server, no network:
 * only the host's filesystem is read (realpath), to anchor paths as they are now.
 */
export function replaySession(session: RecordedSession, ctx: ReplayContext): SessionReplay {
  const state = new SessionState();
  /** Requests the recording forwarded that the replayed profile denies: their answers are skipped. */
  const unsent = new Set<string>();
  const result: SessionReplay = {
    file: session.file,
    session: session.header.session,
    profile: { name: session.header.profile.name, sha256: session.header.profile.sha256 },
    messages: 0,
    connections: 0,
    skipped: 0,
    notRedecided: 0,
    changes: [],
  };
  const report = (change: Omit<Change, 'file' | 'session' | 'kind'>): void => {
    const kind = changeKind(change.before, change.after);
    if (kind) result.changes.push({ file: session.file, session: session.header.session, kind, ...change });
  };

  for (const { line, entry, rpc } of session.entries) {
    switch (entry.type) {
      case 'message': {
        if (!rpc) break;
        if (entry.direction === 'client') {
          result.messages++;
          const after = decideClient(entry, ctx.policy, state);
          const before = outcomeOf(entry.verdict);
          report({ line, seq: entry.seq, ...describe('client', rpc), before, after: outcomeOf(after) });
          applyClient(rpc, before.allowed, after.action === 'allow', state, unsent);
        } else {
          if (answersUnsent(rpc, unsent)) {
            result.skipped++;
            break;
          }
          result.messages++;
          const asked = askedBy(rpc, state);
          const after = decideServer(entry, ctx.policy, state);
          const before = outcomeOf(entry.verdict);
          report({
            line,
            seq: entry.seq,
            ...describe('server', rpc, asked),
            before,
            after: outcomeOf(after),
          });
          applyServer(rpc, entry.verdict, after, state);
        }
        break;
      }
      case 'own':
        if (rpc) applyOwn(entry.to, rpc, state);
        break;
      case 'invalid':
        result.notRedecided++;
        // A server line that did not parse was a breach: the sandbox went down with what was in flight.
        if (entry.direction === 'server') state.drainInFlight();
        break;
      case 'network': {
        const before = connectionBefore(entry);
        if (!before) {
          result.notRedecided++;
          break;
        }
        result.connections++;
        const { host, port, protocol } = entry.connection;
        report({
          line,
          seq: entry.seq,
          direction: 'network',
          method: protocol,
          summary: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
          before,
          after: decideConnection(entry, ctx),
        });
        break;
      }
      case 'end':
        break;
    }
  }
  return result;
}

function decideClient(entry: MessageLine, ctx: PolicyContext, state: SessionState): Verdict {
  const limits = ctx.policy.limits;
  if (entry.bytes > limits.clientMessageBytes) {
    return refuse('deny', 'size.message', `message of ${entry.bytes} bytes exceeds the client limit`);
  }
  const message = reparse(entry, limits.maxDepth);
  if (!message.ok) return refuse('deny', message.rule, message.reason);
  return decide({ direction: 'client', message: message.rpc, bytes: entry.bytes }, state, ctx);
}

function decideServer(entry: MessageLine, ctx: PolicyContext, state: SessionState): Verdict {
  const limits = ctx.policy.limits;
  if (entry.bytes > limits.serverMessageBytes) {
    return refuse('kill', 'size.message', `server message exceeds ${limits.serverMessageBytes} bytes`);
  }
  const message = reparse(entry, limits.maxDepth);
  if (!message.ok) return refuse('kill', message.rule, `server sent an invalid message: ${message.reason}`);
  return decide({ direction: 'server', message: message.rpc, bytes: entry.bytes }, state, ctx);
}

/** The recorded message through framing again, with the replayed profile's nesting limit. */
function reparse(
  entry: MessageLine,
  maxDepth: number,
):
  | { ok: true; rpc: JsonRpcMessage }
  | { ok: false; rule: 'protocol.invalid-message' | 'protocol.invalid-json'; reason: string } {
  const parsed = parseLine(Buffer.from(JSON.stringify(entry.message), 'utf8'), { maxDepth });
  if (parsed.ok) return { ok: true, rpc: parsed.message };
  if (parsed.empty) return { ok: false, rule: 'protocol.invalid-message', reason: 'empty message' };
  return { ok: false, rule: parsed.rule, reason: parsed.reason };
}

/** The supervisor's bookkeeping after a client message (session.ts #onClientLine). */
function applyClient(
  rpc: JsonRpcMessage,
  wasAllowed: boolean,
  allowed: boolean,
  state: SessionState,
  unsent: Set<string>,
): void {
  if (!wasAllowed) return; // nothing of it reached the server, and no answer was recorded
  if (rpc.kind === 'request') {
    const { id, method, params } = rpc.message;
    if (allowed) state.trackClientRequest({ id, method, ...toolOf(params), deadline: Infinity });
    else unsent.add(idKey(id));
  } else if ((rpc.kind === 'result' || rpc.kind === 'error') && rpc.message.id !== null && allowed) {
    state.serverInFlight.delete(idKey(rpc.message.id));
  }
}

/** The supervisor's bookkeeping after a server message (session.ts #onServerLine), as recorded. */
function applyServer(
  rpc: JsonRpcMessage,
  recorded: RecordedVerdict,
  after: Verdict,
  state: SessionState,
): void {
  if (recorded.action === 'kill') {
    state.drainInFlight();
    return;
  }
  if (recorded.action === 'deny') {
    // A late answer to a request the warden had answered itself: dropped.
    if ((rpc.kind === 'result' || rpc.kind === 'error') && rpc.message.id !== null) {
      state.abandoned.delete(idKey(rpc.message.id));
    }
    return;
  }
  if (after.action === 'allow' && after.tools) state.applyToolsReview(after.tools);
  if (rpc.kind === 'result' || rpc.kind === 'error') {
    if (rpc.message.id === null) return;
    const request = state.settleClientRequest(rpc.message.id);
    if (request?.method === 'tools/list' && rpc.kind === 'result')
      state.learnTools(learnTools(rpc.message.result));
  } else if (rpc.kind === 'request') {
    state.serverInFlight.set(idKey(rpc.message.id), { id: rpc.message.id, method: rpc.message.method });
  }
}

/** A line the warden sent itself: its requests are in flight; its answers settle or abandon requests. */
function applyOwn(to: 'client' | 'server', rpc: JsonRpcMessage, state: SessionState): void {
  if (to === 'server') {
    if (rpc.kind === 'request') {
      const { id, method } = rpc.message;
      state.trackClientRequest({ id, method, deadline: Infinity, internal: true });
    }
    return;
  }
  if (rpc.kind !== 'error' || rpc.message.id === null) return;
  const { id, error } = rpc.message;
  const rule = isRecord(error.data) ? error.data.rule : undefined;
  if (rule === 'request.timeout') state.abandon(id);
  else if (error.code === -32002) state.settleClientRequest(id);
}

function answersUnsent(rpc: JsonRpcMessage, unsent: Set<string>): boolean {
  if (rpc.kind !== 'result' && rpc.kind !== 'error') return false;
  if (rpc.message.id === null) return false;
  const key = idKey(rpc.message.id);
  if (!unsent.has(key)) return false;
  unsent.delete(key);
  return true;
}

/** A recorded connection as an outcome; undefined when its refusal was not about its host. */
function connectionBefore(entry: NetworkLine): Outcome | undefined {
  const { verdict, rule, reason } = entry.connection;
  if (verdict !== 'deny') return { allowed: true };
  if (rule !== 'network.host-not-allowed' && rule !== 'network.private-address') return undefined;
  return { allowed: false, action: 'deny', rule, reason: reason ?? '' };
}

/**
 * The proxy's host decisions under the replayed egress: the name (allow/deny lists, ports), then the
 * address it was dialled at (when recorded: a connection refused by name has none, so only its name
 * is decided).
 */
function decideConnection(entry: NetworkLine, ctx: ReplayContext): Outcome {
  const { host, port, address } = entry.connection;
  const mode = ctx.egress;
  if (mode.kind === 'unfiltered') return { allowed: true };
  if (mode.kind === 'none') {
    return refusedConnection('network.host-not-allowed', `${host}:${port}: the profile allows no network`);
  }
  const target = parseTarget(host);
  if (!target) return refusedConnection('network.host-not-allowed', `${host} is not a valid host name`);
  const byName = decideTarget(mode.policy, target, port);
  if (!byName.allow) return refusedConnection(byName.rule, byName.reason);
  const ip = address === undefined ? undefined : parseIpLiteral(address);
  if (ip) {
    const byAddress = decideAddress(mode.policy, ip, port, ctx.hostAddresses);
    if (!byAddress.allow) return refusedConnection(byAddress.rule, byAddress.reason);
  }
  return { allowed: true };
}

function refusedConnection(rule: string, reason: string): Outcome {
  return { allowed: false, action: 'deny', rule, reason };
}

function outcomeOf(verdict: RecordedVerdict | Verdict): Outcome {
  if (verdict.action === 'allow') return { allowed: true };
  return { allowed: false, action: verdict.action, rule: verdict.rule, reason: verdict.reason };
}

function changeKind(before: Outcome, after: Outcome): Change['kind'] | undefined {
  if (before.allowed && !after.allowed) return 'allowed → denied';
  if (!before.allowed && after.allowed) return 'denied → allowed';
  if (!before.allowed && !after.allowed && before.rule !== after.rule) return 'rule changed';
  return undefined;
}

/** The request (method, tool) a server answer settles, while it is still in flight. */
function askedBy(rpc: JsonRpcMessage, state: SessionState): { method: string; tool?: string } | undefined {
  if ((rpc.kind !== 'result' && rpc.kind !== 'error') || rpc.message.id === null) return undefined;
  return state.clientInFlight.get(idKey(rpc.message.id));
}

function describe(
  direction: Direction,
  rpc: JsonRpcMessage,
  asked?: { method: string; tool?: string },
): Pick<Change, 'direction' | 'method' | 'tool' | 'summary'> {
  if (rpc.kind === 'request' || rpc.kind === 'notification') {
    const { method, params } = rpc.message;
    if (method === 'tools/call' && isRecord(params)) {
      const tool = typeof params.name === 'string' ? params.name.slice(0, 128) : undefined;
      return {
        direction,
        method,
        ...(tool === undefined ? {} : { tool }),
        summary: summarizeArguments(params.arguments),
      };
    }
    return { direction, method, summary: summarizeArguments(params) };
  }
  const id = rpc.message.id === null ? 'null' : JSON.stringify(rpc.message.id);
  const what = rpc.kind === 'result' ? 'result' : 'error';
  return {
    direction,
    method: asked ? `${what} of ${asked.method}` : what,
    ...(asked?.tool === undefined ? {} : { tool: asked.tool }),
    summary: `id ${id}`,
  };
}

function toolOf(params: unknown): { tool?: string } {
  if (!isRecord(params) || typeof params.name !== 'string') return {};
  return { tool: params.name.slice(0, 128) };
}

function refuse(
  action: 'deny' | 'kill',
  rule: Exclude<Verdict, { action: 'allow' }>['rule'],
  reason: string,
): Verdict {
  return { action, rule, reason };
}
