import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.ts';
import type { ApprovalEvent } from '../audit/events.ts';
import { matchApproval, type ApprovalMatch } from '../policy/rules/approvals.ts';
import type { PolicyContext, SessionView } from '../policy/types.ts';
import { idKey, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest } from '../protocol/json-rpc.ts';
import { WARDEN_CLIENT_REQUEST_PREFIX, isWardenClientRequestId } from '../protocol/warden-ids.ts';
import { encodeLine, policyError } from '../protocol/wire-errors.ts';
import { isRecord } from '../util/is-record.ts';
import { describeCall } from './approval-prompt.ts';

/** The choices the user is offered (the form's one field); "deny" accepted is a decline. */
export const APPROVAL_CHOICES = {
  once: 'allow once',
  session: 'allow for this session',
  deny: 'deny',
} as const;

/** Calls waiting for the user at once, per session; more are declined without asking. */
const MAX_PENDING = 32;

export interface ApprovalsOptions {
  policy: PolicyContext;
  /** The session state (tools learned from tools/list tell which arguments are paths). */
  state: SessionView;
  audit: AuditLog;
  /** The server as the user configured it (its command, or the gateway's server name). */
  serverLabel: string;
  /** Write a line the warden itself originates to the client (a request, a notification, an error). */
  toClient: (line: Buffer) => void;
  /** Forward an approved call: `line` is what decide() allowed, to be tracked and written to the server. */
  forward: (id: JsonRpcId, tool: string, line: Buffer) => void;
}

interface Held {
  id: JsonRpcId;
  match: ApprovalMatch;
  line: Buffer;
  /** The id of the warden's elicitation/create request to the client. */
  askId: string;
  askedAt: number;
  timer: NodeJS.Timeout;
}

/**
 * policy.approve for one session: holds a matching tools/call, asks the user through the client
 * (elicitation/create under an id the warden owns), and forwards or declines on the answer. The
 * client's answers to the warden's ids come here and never reach the server; "allow for this session"
 * is remembered per approve entry and tool until the session ends. Every decision is audited.
 */
export class Approvals {
  readonly #o: ApprovalsOptions;
  /** Held calls by the client's request id (idKey). */
  readonly #held = new Map<string, Held>();
  /** Held calls by the warden's elicitation id. */
  readonly #asked = new Map<string, Held>();
  /** "entry index \0 tool" allowed for the rest of the session. */
  readonly #allowed = new Set<string>();
  /** Unguessable per session: the client cannot be led to answer an approval it was never shown. */
  readonly #idPrefix = `${WARDEN_CLIENT_REQUEST_PREFIX}${randomBytes(6).toString('hex')}-`;
  #asks = 0;
  /** What the client declared in initialize: undefined until then. */
  #canAsk: boolean | undefined;
  /** The name the server gives itself in its initialize result (untrusted, shown as such). */
  #serverName: string | undefined;

  constructor(options: ApprovalsOptions) {
    this.#o = options;
  }

  /** Remember whether the client declared form elicitation (`elicitation: {}` or `{form: ...}`). */
  noteClientInitialize(params: unknown): void {
    const capabilities = isRecord(params) ? params.capabilities : undefined;
    const elicitation = isRecord(capabilities) ? capabilities.elicitation : undefined;
    this.#canAsk =
      isRecord(elicitation) && (Object.keys(elicitation).length === 0 || isRecord(elicitation.form));
  }

  /** Remember the name the server reports in its initialize result. */
  noteServerInitialize(result: unknown): void {
    const info = isRecord(result) ? result.serverInfo : undefined;
    if (isRecord(info) && typeof info.name === 'string') this.#serverName = info.name;
  }

  /** True when a held call uses `id`: a new request with it would be a duplicate. */
  holds(id: JsonRpcId): boolean {
    return this.#held.has(idKey(id));
  }

  /** True when `id` lies in the warden's reserved space: the client's answer is the warden's. */
  owns(id: JsonRpcId | null): boolean {
    return isWardenClientRequestId(id);
  }

  /**
   * A tools/call decide() allowed: undefined when it may go on to the server now; otherwise it was
   * held (the user is being asked) or declined (answered here), and the caller does nothing more.
   */
  screen(request: JsonRpcRequest, line: Buffer): 'held' | 'declined' | undefined {
    const match = matchApproval(request.params, this.#o.state, this.#o.policy);
    if (match === undefined) return undefined;
    if (this.#allowed.has(allowanceKey(match))) {
      this.#event('allowed-by-session', match);
      return undefined;
    }
    if (this.#canAsk !== true) {
      if (this.#o.policy.policy.approveFallback === 'allow') {
        this.#event('allowed-by-fallback', match, { reason: 'the client cannot ask the user' });
        return undefined;
      }
      const reason =
        `tool "${match.tool}" needs the user's approval (policy.approve ${match.entryText}), but this client ` +
        'cannot ask (it did not declare the MCP elicitation capability): use a client that supports ' +
        'elicitation, or set policy.approveFallback to "allow" in the profile';
      this.#decline(request.id, match, 'unavailable', reason);
      return 'declined';
    }
    if (this.#held.size >= MAX_PENDING) {
      this.#decline(
        request.id,
        match,
        'unavailable',
        `more than ${MAX_PENDING} calls already wait for approval`,
      );
      return 'declined';
    }
    this.#ask(request.id, match, line);
    return 'held';
  }

  /** The client answered one of the warden's requests (see owns()). An answer to no pending question is dropped. */
  onClientResponse(message: JsonRpcMessage): void {
    if (message.kind !== 'result' && message.kind !== 'error') return;
    const { id } = message.message;
    const held = typeof id === 'string' ? this.#asked.get(id) : undefined;
    if (held === undefined) return; // late (timed out, cancelled) or never asked: nothing waits for it
    this.#release(held);
    const waitedMs = Math.round(performance.now() - held.askedAt);
    if (message.kind === 'error') {
      const reason = `the client could not ask the user: ${clipText(message.message.error.message, 200)}`;
      this.#decline(held.id, held.match, 'failed', reason, waitedMs);
      return;
    }
    const result = message.message.result;
    const action = isRecord(result) ? result.action : undefined;
    const content = isRecord(result) ? result.content : undefined;
    const choice = isRecord(content) ? content.decision : undefined;
    if (action === 'accept' && (choice === APPROVAL_CHOICES.once || choice === APPROVAL_CHOICES.session)) {
      const session = choice === APPROVAL_CHOICES.session;
      if (session) this.#allowed.add(allowanceKey(held.match));
      this.#event(session ? 'allowed-session' : 'allowed-once', held.match, { waitedMs });
      this.#o.forward(held.id, held.match.tool, held.line);
      return;
    }
    if (action === 'accept' || action === 'decline') {
      this.#decline(held.id, held.match, 'declined', 'the user declined the call', waitedMs);
    } else if (action === 'cancel') {
      this.#decline(held.id, held.match, 'cancelled', 'the user cancelled the approval', waitedMs);
    } else {
      this.#decline(
        held.id,
        held.match,
        'failed',
        'the client answered the approval with nonsense',
        waitedMs,
      );
    }
  }

  /**
   * The client cancelled request `requestId` (notifications/cancelled): when it is a held call, stop
   * asking (the client's question is withdrawn too) and return true; the server never knew of it.
   */
  cancelHeld(requestId: unknown): boolean {
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return false;
    const held = this.#held.get(idKey(requestId));
    if (held === undefined) return false;
    this.#release(held);
    this.#withdraw(held, 'the client cancelled the call');
    this.#event('cancelled', held.match, {
      waitedMs: Math.round(performance.now() - held.askedAt),
      reason: 'the client cancelled the call',
    });
    return true;
  }

  /** The session ends: stop every question; `answer` is called with each held call's id. */
  close(answer: (id: JsonRpcId) => void): void {
    for (const held of [...this.#held.values()]) {
      this.#release(held);
      answer(held.id);
    }
  }

  #ask(id: JsonRpcId, match: ApprovalMatch, line: Buffer): void {
    const askId = `${this.#idPrefix}${++this.#asks}`;
    const timeoutMs = this.#o.policy.policy.approveTimeoutMs;
    const held: Held = {
      id,
      match,
      line,
      askId,
      askedAt: performance.now(),
      timer: setTimeout(() => this.#timedOut(held), timeoutMs),
    };
    held.timer.unref();
    this.#held.set(idKey(id), held);
    this.#asked.set(askId, held);
    this.#event('requested', match);
    const request = JSON.parse(line.toString('utf8')) as { params?: { arguments?: unknown } };
    const message = describeCall({
      serverLabel: this.#o.serverLabel,
      serverName: this.#serverName,
      tool: match.tool,
      args: request.params?.arguments,
      entry: match.entryText,
      path: match.path,
      timeoutMs,
    });
    this.#o.toClient(
      encodeLine({
        jsonrpc: '2.0',
        id: askId,
        method: 'elicitation/create',
        params: {
          message,
          requestedSchema: {
            type: 'object',
            properties: {
              decision: {
                type: 'string',
                title: 'Decision',
                description: `Allow the call once, allow every "${clipText(match.tool, 64)}" call like it for the rest of this session, or deny it`,
                enum: [APPROVAL_CHOICES.once, APPROVAL_CHOICES.session, APPROVAL_CHOICES.deny],
              },
            },
            required: ['decision'],
          },
        },
      }),
    );
  }

  #timedOut(held: Held): void {
    if (this.#asked.get(held.askId) !== held) return;
    this.#release(held);
    const timeoutMs = this.#o.policy.policy.approveTimeoutMs;
    this.#withdraw(held, 'the approval timed out');
    this.#decline(
      held.id,
      held.match,
      'timed-out',
      `no answer to the approval within ${timeoutMs} ms (policy.approveTimeoutMs)`,
      timeoutMs,
    );
  }

  /** Tell the client its question is moot (it may close the prompt). */
  #withdraw(held: Held, reason: string): void {
    this.#o.toClient(
      encodeLine({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: held.askId, reason },
      }),
    );
  }

  #release(held: Held): void {
    clearTimeout(held.timer);
    this.#held.delete(idKey(held.id));
    this.#asked.delete(held.askId);
  }

  /** Answer the call -32001 approval.declined: one approval event and one deny verdict. */
  #decline(
    id: JsonRpcId,
    match: ApprovalMatch,
    decision: ApprovalEvent['decision'],
    reason: string,
    waitedMs?: number,
  ): void {
    this.#event(decision, match, { reason, ...(waitedMs === undefined ? {} : { waitedMs }) });
    this.#o.audit.write({
      event: 'verdict',
      direction: 'client',
      action: 'deny',
      rule: 'approval.declined',
      reason,
      method: 'tools/call',
      tool: clipText(match.tool, 128),
    });
    this.#o.toClient(encodeLine(policyError(id, 'approval.declined', reason)));
  }

  #event(
    decision: ApprovalEvent['decision'],
    match: ApprovalMatch,
    extra: { reason?: string; waitedMs?: number } = {},
  ): void {
    this.#o.audit.write({
      event: 'approval',
      decision,
      tool: clipText(match.tool, 128),
      entry: clipText(match.entryText, 300),
      ...(match.path === undefined ? {} : { detail: match.path }),
      ...extra,
    });
  }
}

function allowanceKey(match: ApprovalMatch): string {
  return `${match.entry}\0${match.tool}`;
}

function clipText(text: string, max: number): string {
  const safe = text.toWellFormed();
  return safe.length <= max ? safe : `${safe.slice(0, max - 1)}…`;
}
