import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Profile } from '../config/profile-schema.ts';
import { decide } from '../policy/decide.ts';
import { learnTools } from '../policy/tool-info.ts';
import type {
  Direction,
  PolicyContext,
  RuleId,
  SessionView,
  ToolsReview,
  Verdict,
  WithheldDefinition,
} from '../policy/types.ts';
import { idKey, type JsonRpcId, type JsonRpcMessage } from '../protocol/json-rpc.ts';
import { LineFramer } from '../protocol/line-framer.ts';
import { parseLine } from '../protocol/parse-line.ts';
import { encodeLine, policyError, terminatedError } from '../protocol/wire-errors.ts';
import type { Backend, Sandbox, SandboxPlan } from '../sandboxes/types.ts';
import { Approvals } from './approvals.ts';
import { LineWriter } from './client-writer.ts';
import { SandboxLink } from './sandbox-link.ts';
import { SessionState } from './session-state.ts';
import type { SessionTap } from './session-tap.ts';
import { startupHint } from './startup-hint.ts';
import { StrayOutput } from './stray-output.ts';

/** Exit statuses of a session (DESIGN.md). */
export const EXIT_OK = 0;
export const EXIT_BREACH = 70;
/** The sandbox could not be started (the CLI exits 69, backend unavailable). */
export const EXIT_UNAVAILABLE = 69;
/** The server exited during start-up (before it answered initialize): its set-up is broken. */
export const EXIT_STARTUP = 71;

/** A burst of stray lines ends after this long without another one (then it is audited). */
const STRAY_BURST_MS = 1000;

export interface SessionOptions {
  sessionId: string;
  profile: Profile;
  backend: Backend;
  plan: SandboxPlan;
  policy: PolicyContext;
  audit: AuditLog;
  logger: Logger;
  clientIn: Readable;
  clientOut: Writable;
  /** Where the server's stderr goes (the warden's stderr). */
  serverLog: Writable;
  /** The user's server command as given (for the audit log). */
  command: string[];
  /** How approval prompts name the server (the gateway's server name); default: the command. */
  serverLabel?: string;
  /** The first sandbox, when the caller launched it early; later generations are launched here. */
  firstSandbox?: Promise<Sandbox>;
  /**
   * Called once when the session starts to end, before its sandbox is stopped: a client writer that
   * holds writes back while its client is not reading (the gateway's) must stop holding them, or the
   * server could not finish and the final flush would wait on a client that may never read again.
   */
  onEnding?: () => void;
  /** Sees every message and verdict (run --record); undefined: nothing observes the session. */
  tap?: SessionTap;
  /**
   * Called with every client message the policy decided, its verdict, and the session's view and
   * policy context at that moment (`mcp-warden learn` reads paths as the policy anchored them, which
   * needs the tools' schemas from the view). Must not throw nor keep `state`. Undefined: none.
   */
  observe?: (message: JsonRpcMessage, verdict: Verdict, state: SessionView, ctx: PolicyContext) => void;
}

type Phase = 'running' | 'down' | 'ending' | 'ended';

/**
 * The warden's own tools/list after notifications/tools/list_changed: none in flight (`idle`), one in
 * flight, or one in flight and another due when it settles (`again`, however many notices came).
 */
type Relist = 'idle' | 'in-flight' | 'again';

/**
 * Most bytes that may wait for the server to read its stdin before it counts as not reading. Client
 * lines stop being read while the server's stdin is full (LineWriter back-pressure) and the warden's
 * own writes are bounded (one re-list, cancellations skipped while full), so an honest flow never
 * holds more than about one client message, the handshake replay and a chunk: twice the client message
 * cap plus a margin. Past it the server is killed rather than letting the warden's memory grow.
 */
function maxPendingToServer(clientMessageBytes: number): number {
  return 2 * clientMessageBytes + 1024 * 1024;
}

/**
 * Most bytes of the warden's own answers (denials, timeouts, -32002) that may wait for a client that is
 * not reading before the warden stops reading that client's messages (until it reads again). Server
 * output never counts: while the client's output is full the sandbox's stdout is paused instead, and
 * client messages keep flowing to the server.
 */
const MAX_OWN_PENDING_TO_CLIENT = 1024 * 1024;

/**
 * One mediated session: client ⇄ framing ⇄ policy ⇄ sandbox. Owns the sandbox's whole lifecycle.
 * Client breaches are answered with -32001 and never forwarded; server breaches kill the sandbox,
 * answer in-flight requests with -32002, then end the session (exit 70) or restart on demand.
 */
export class Session {
  readonly #o: SessionOptions;
  readonly #state = new SessionState();
  readonly #toClient: LineWriter;
  #link: SandboxLink | undefined;
  #generation = 0;
  #phase: Phase = 'running';
  /** The client's initialize request as forwarded, replayed to a restarted sandbox. */
  #initialize: { id: JsonRpcId; raw: Buffer } | undefined;
  #sawInitialized = false;
  /** Client lines waiting for a restarted sandbox to finish its replayed handshake. */
  #queue: Buffer[] = [];
  /** The single request-timeout timer (see #armTimeouts). */
  #timeoutTimer: NodeJS.Timeout | undefined;
  #replaying = false;
  /** Internal tools/list requests sent after notifications/tools/list_changed. */
  #relists = 0;
  #relist: Relist = 'idle';
  /** Why the warden is stopping the current sandbox (for its sandbox.stop event). */
  #stopReason = '';
  /** The current sandbox answered initialize: until then, its exit is a start-up failure. */
  #started = false;
  readonly #stray: StrayOutput;
  /** policy.approve: calls held while the user is asked through the client. */
  readonly #approvals: Approvals;
  #strayTimer: NodeJS.Timeout | undefined;
  /** A breach told before the sandbox was linked (see breach()). */
  #deferredBreach: { rule: RuleId; reason: string } | undefined;
  #resolveDone!: (code: number) => void;
  readonly #done = new Promise<number>((resolve) => (this.#resolveDone = resolve));

  constructor(options: SessionOptions) {
    this.#o = options;
    this.#toClient = new LineWriter(options.clientOut);
    this.#toClient.holdOwnWrites(options.clientIn, MAX_OWN_PENDING_TO_CLIENT);
    this.#stray = new StrayOutput(options.profile.policy.strayOutput);
    this.#approvals = new Approvals({
      policy: options.policy,
      state: this.#state,
      audit: options.audit,
      serverLabel: options.serverLabel ?? options.command.join(' '),
      toClient: (line) => this.#writeOwn(line),
      forward: (id, tool, line) => this.#forwardApproved(id, tool, line),
    });
  }

  /** Start the sandbox and pump both directions. Resolves with the process exit status. */
  async run(): Promise<number> {
    const { profile, backend } = this.#o;
    this.#o.audit.write({
      event: 'session.start',
      profile: profile.name,
      backend: backend.name,
      roots: this.#o.policy.roots.map((r) => `${r.path}${r.readOnly ? ':ro' : ''}`),
      command: this.#o.command,
    });
    try {
      await this.#startSandbox();
    } catch (error) {
      // The log must still close the session, or `audit verify` would report it as cut short.
      this.#phase = 'ended';
      this.#o.audit.write({
        event: 'session.end',
        reason: 'the sandbox could not be started',
        exitCode: EXIT_UNAVAILABLE,
      });
      throw error;
    }
    const framer = new LineFramer(this.#o.profile.policy.limits.clientMessageBytes, {
      onLine: (line, terminated) => this.#onClientLine(line, terminated),
      onOversizeStart: () => undefined,
      onOversizeEnd: ({ bytes, id }) =>
        this.#clientViolation(id, 'size.message', `message of ${bytes} bytes exceeds the client limit`),
    });
    this.#o.clientIn.on('data', (chunk: Buffer) => framer.push(chunk));
    this.#o.clientIn.on('end', () => {
      framer.end();
      void this.end('client closed its input', EXIT_OK);
    });
    this.#o.clientIn.on('error', () => void this.end('client input failed', EXIT_OK));
    return this.#done;
  }

  /**
   * End the session: stop the sandbox with the lifecycle ladder, answer in-flight requests with -32002
   * and `rule` (default `sandbox.exited`), flush, and resolve run(). Idempotent.
   */
  async end(
    reason: string,
    exitCode: number,
    graceful = true,
    rule: RuleId = 'sandbox.exited',
  ): Promise<void> {
    if (this.#phase === 'ending' || this.#phase === 'ended') {
      if (!graceful) await this.#link?.stop(false);
      return;
    }
    this.#phase = 'ending';
    this.#stopReason = reason;
    this.#o.onEnding?.();
    this.#o.clientIn.pause();
    const link = this.#link;
    if (link) {
      await link.stop(graceful);
      await link.reported;
    }
    this.#answerInFlight(rule, `session ended: ${reason}`);
    this.#approvals.close((id) =>
      this.#writeOwn(encodeLine(terminatedError(id, rule, `session ended: ${reason}`))),
    );
    this.#auditStrayBurst();
    await this.#toClient.flush();
    this.#o.audit.write({ event: 'session.end', reason, exitCode });
    this.#phase = 'ended';
    this.#resolveDone(exitCode);
  }

  async #startSandbox(): Promise<void> {
    this.#generation++;
    const generation = this.#generation;
    this.#started = false;
    const early = generation === 1 ? this.#o.firstSandbox : undefined;
    const link = await SandboxLink.start({
      ...(early ? { sandbox: early } : {}),
      backend: this.#o.backend,
      plan: this.#o.plan,
      maxServerBytes: this.#o.profile.policy.limits.serverMessageBytes,
      serverLog: this.#o.serverLog,
      onLine: (line, terminated) => this.#onServerLine(line, terminated),
      onOversize: (bytes) => {
        this.#o.tap?.invalid('server', 'size.message', `server message exceeds ${bytes} bytes`);
        this.#serverBreach('size.message', `server message exceeds ${bytes} bytes`);
      },
      onExit: (info) => {
        const expected = this.#link !== link || this.#phase !== 'running';
        const startup = !expected && !this.#started && !info.limit;
        this.#o.audit.write({
          event: 'sandbox.stop',
          pid: link.pid,
          code: info.code,
          signal: info.signal,
          reason: expected
            ? this.#stopReason
            : startup
              ? 'the server exited during start-up'
              : 'the server exited on its own',
          ...(info.limit ? { limit: info.limit.kind, detail: info.limit.detail } : {}),
        });
        if (expected) return;
        if (startup) {
          this.#startupFailed(link, info);
          return;
        }
        if (info.limit) {
          this.#serverBreach(
            'sandbox.limit',
            `server stopped by its ${info.limit.kind} limit: ${info.limit.detail}`,
          );
          return;
        }
        const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`;
        this.#serverBreach('sandbox.exited', `server exited with ${how}`);
      },
    });
    this.#link = link;
    this.#toClient.setSource(link.stdout);
    this.#o.audit.write({ event: 'sandbox.start', backend: this.#o.backend.name, pid: link.pid, generation });
    link.setSource(this.#o.clientIn);
    const deferred = this.#deferredBreach;
    this.#deferredBreach = undefined;
    if (deferred) this.#serverBreach(deferred.rule, deferred.reason);
  }

  // ---- client → server -------------------------------------------------------------------------

  #onClientLine(line: Buffer, terminated: Buffer): void {
    if (this.#phase === 'ending' || this.#phase === 'ended') return;
    const parsed = parseLine(line, { maxDepth: this.#o.profile.policy.limits.maxDepth });
    if (!parsed.ok) {
      if (parsed.empty) return;
      this.#clientViolation(parsed.id, parsed.rule, parsed.reason);
      return;
    }
    if (this.#screenOwn(parsed.message)) return;
    const verdict = decide(
      { direction: 'client', message: parsed.message, bytes: line.length },
      this.#state,
      this.#o.policy,
    );
    this.#o.tap?.message('client', parsed.value, line.length, verdict);
    this.#o.observe?.(parsed.message, verdict, this.#state, this.#o.policy);
    if (verdict.action !== 'allow') {
      this.#clientVerdict(parsed.message, verdict);
      return;
    }
    const out = verdict.rewrite ? encodeLine(verdict.rewrite) : terminated;
    const { kind, message } = parsed.message;
    if (kind === 'request') {
      if (message.method === 'tools/call' && this.#approvals.screen(message, out)) return;
      this.#trackClientRequest(message.id, message.method, toolName(message.params));
      if (message.method === 'initialize') {
        this.#initialize = { id: message.id, raw: out };
        this.#approvals.noteClientInitialize(message.params);
      }
    } else if (kind === 'notification') {
      if (message.method === 'notifications/initialized') this.#sawInitialized = true;
      // A held call the client gave up on: the server never saw it, so neither does the cancel.
      if (
        message.method === 'notifications/cancelled' &&
        this.#approvals.cancelHeld(requestIdOf(message.params))
      )
        return;
    } else if (message.id !== null) {
      this.#state.serverInFlight.delete(idKey(message.id));
    }
    this.#toServer(out);
  }

  /**
   * The warden's own share of the client's messages (policy.approve): an answer to one of its approval
   * requests is consumed here, never forwarded; a request reusing the id of a held call is a duplicate.
   * True when the message was dealt with.
   */
  #screenOwn(message: JsonRpcMessage): boolean {
    if (message.kind === 'result' || message.kind === 'error') {
      if (!this.#approvals.owns(message.message.id)) return false;
      this.#approvals.onClientResponse(message);
      return true;
    }
    if (message.kind === 'request' && this.#approvals.holds(message.message.id)) {
      const reason = `request id ${JSON.stringify(message.message.id).slice(0, 80)} is already waiting for approval`;
      this.#clientVerdict(message, { action: 'deny', rule: 'protocol.duplicate-id', reason });
      return true;
    }
    return false;
  }

  /** The user approved a held call: forward it now (answered -32002 if the session is ending). */
  #forwardApproved(id: JsonRpcId, tool: string, line: Buffer): void {
    if (this.#phase === 'ending' || this.#phase === 'ended') {
      this.#writeOwn(encodeLine(terminatedError(id, 'sandbox.exited', 'session ended: approved too late')));
      return;
    }
    this.#trackClientRequest(id, 'tools/call', tool.slice(0, 128));
    this.#toServer(line);
  }

  /**
   * Write a line the warden itself originates to the client (an answer, a question for approval):
   * bounded by the writer's own-write limit, and seen by the tap (run --record).
   */
  #writeOwn(line: Buffer): void {
    this.#o.tap?.own('client', line);
    this.#toClient.writeOwn(line);
  }

  #trackClientRequest(id: JsonRpcId, method: string, tool: string | undefined, internal = false): void {
    const deadline = performance.now() + this.#o.profile.policy.limits.requestTimeoutMs;
    this.#state.trackClientRequest({ id, method, tool, deadline, internal });
    this.#armTimeouts();
  }

  /**
   * One timer for all request timeouts, armed for the oldest in-flight request (a timer per request
   * cost more than the rest of the bookkeeping). Settled requests simply leave the map; when the timer
   * fires it answers what has expired and re-arms for the next oldest.
   */
  #armTimeouts(): void {
    if (this.#timeoutTimer !== undefined) return;
    const next = this.#state.nextDeadline();
    if (next === undefined) return;
    this.#timeoutTimer = setTimeout(this.#expireRequests, Math.max(0, next - performance.now()));
    this.#timeoutTimer.unref();
  }

  readonly #expireRequests = (): void => {
    this.#timeoutTimer = undefined;
    const timeoutMs = this.#o.profile.policy.limits.requestTimeoutMs;
    for (const { id, method, tool } of [...this.#state.expired(performance.now())]) {
      this.#onRequestTimeout(id, method, tool, timeoutMs);
    }
    this.#armTimeouts();
  };

  #onRequestTimeout(id: JsonRpcId, method: string, tool: string | undefined, timeoutMs: number): void {
    const reason = `no answer from the server within ${timeoutMs} ms`;
    if (method === 'tools/list' && this.#state.clientInFlight.get(idKey(id))?.internal) {
      // The warden's own request (re-listing tools): nobody to answer, just stop waiting.
      this.#state.abandon(id);
      this.#relistSettled();
      return;
    }
    this.#audit('client', { action: 'deny', rule: 'request.timeout', reason }, method, tool);
    this.#state.abandon(id);
    this.#writeOwn(encodeLine(policyError(id, 'request.timeout', reason)));
    // Cancellation is advisory. A server whose stdin is full has not even read the request yet: a
    // cancel per timed-out request would only grow what waits for it.
    if (this.#link?.backedUp) return;
    this.#toServer(
      encodeLine({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } }),
    );
  }

  /** Forward to the sandbox; while it restarts, queue. */
  #toServer(line: Buffer): void {
    if (this.#phase === 'down') {
      this.#queue.push(line);
      void this.#restart();
      return;
    }
    if (this.#replaying) {
      this.#queue.push(line);
      return;
    }
    this.#writeToSandbox(line);
  }

  /** Write to the current sandbox's stdin; a server that lets too much pile up is killed (see maxPendingToServer). */
  #writeToSandbox(line: Buffer): void {
    const link = this.#link;
    if (!link) return;
    link.write(line);
    const limit = maxPendingToServer(this.#o.profile.policy.limits.clientMessageBytes);
    if (link.pendingBytes > limit) {
      this.#serverBreach(
        'rate.exceeded',
        `the server stopped reading its input: ${link.pendingBytes} bytes wait for it (limit ${limit})`,
      );
    }
  }

  #clientViolation(id: JsonRpcId | undefined, rule: RuleId, reason: string): void {
    this.#o.tap?.invalid('client', rule, reason);
    this.#audit('client', { action: 'deny', rule, reason });
    this.#writeOwn(encodeLine(policyError(id ?? null, rule, reason)));
    if (this.#o.profile.onClientBreach === 'kill') this.#breach(rule, reason);
  }

  #clientVerdict(message: JsonRpcMessage, verdict: Exclude<Verdict, { action: 'allow' }>): void {
    const method = 'method' in message.message ? message.message.method : undefined;
    const tool = message.kind === 'request' ? toolName(message.message.params) : undefined;
    this.#audit('client', verdict, method, tool);
    if (message.kind === 'request') {
      this.#writeOwn(encodeLine(policyError(message.message.id, verdict.rule, verdict.reason)));
    }
    if (verdict.action === 'kill' || this.#o.profile.onClientBreach === 'kill') {
      this.#breach(verdict.rule, verdict.reason);
    }
  }

  // ---- server → client -------------------------------------------------------------------------

  #onServerLine(line: Buffer, terminated: Buffer): void {
    // While ending gracefully the server may still answer what is in flight: keep mediating.
    if (this.#phase === 'ended' || this.#phase === 'down') return;
    const parsed = parseLine(line, { maxDepth: this.#o.profile.policy.limits.maxDepth });
    if (!parsed.ok) {
      if (parsed.empty) return;
      if (parsed.stray && !this.#o.profile.policy.strayOutput.strict) {
        this.#onStrayLine(line.length);
        return;
      }
      this.#o.tap?.invalid('server', parsed.rule, parsed.reason);
      this.#serverBreach(parsed.rule, `server sent an invalid message: ${parsed.reason}`);
      return;
    }
    this.#auditStrayBurst();
    const verdict = decide(
      { direction: 'server', message: parsed.message, bytes: line.length, text: parsed.text },
      this.#state,
      this.#o.policy,
    );
    this.#o.tap?.message('server', parsed.value, line.length, verdict);
    const { kind, message } = parsed.message;
    if (verdict.action === 'kill') {
      this.#serverBreach(
        verdict.rule,
        verdict.reason,
        verdict.detail,
        'method' in message ? message.method : undefined,
      );
      return;
    }
    if (verdict.action === 'deny') {
      // A late answer to a request the warden already answered (timeout): drop it.
      this.#audit('server', verdict);
      if ((kind === 'result' || kind === 'error') && message.id !== null)
        this.#state.abandoned.delete(idKey(message.id));
      return;
    }
    if (verdict.tools) this.#applyToolsReview(verdict.tools);
    if (verdict.withheld) this.#auditWithheld(verdict.withheld);
    if (kind === 'result' || kind === 'error') {
      const request = message.id === null ? undefined : this.#state.settleClientRequest(message.id);
      if (request?.method === 'initialize') {
        this.#started = true;
        if (kind === 'result') this.#approvals.noteServerInitialize(message.result);
      }
      if (request?.method === 'tools/list' && kind === 'result')
        this.#state.learnTools(learnTools(message.result));
      if (request?.internal) {
        if (request.method === 'initialize') this.#finishReplay();
        else if (request.method === 'tools/list') this.#relistSettled();
        return;
      }
    } else if (kind === 'request') {
      this.#state.serverInFlight.set(idKey(message.id), { id: message.id, method: message.method });
    } else if (message.method === 'notifications/tools/list_changed') {
      this.#relistTools();
    }
    if (verdict.guarded) {
      this.#o.audit.write({
        event: 'redaction',
        direction: 'server',
        ...('method' in message ? { method: message.method } : {}),
        secrets: verdict.guarded.secrets,
        controls: verdict.guarded.controls,
      });
    }
    if (verdict.rewrite) this.#toClient.write(encodeLine(verdict.rewrite));
    // Untouched: the server's own bytes with their newline, never re-serialised nor copied.
    else this.#toClient.write(terminated);
  }

  /**
   * A line that is not JSON at all (a forgotten console.log, a banner): dropped, never forwarded,
   * counted against the session's budget, and audited once per burst (lengths only, never content).
   */
  #onStrayLine(bytes: number): void {
    const { started, over } = this.#stray.add(bytes);
    if (over) {
      this.#auditStrayBurst();
      this.#serverBreach('protocol.stray-output', this.#stray.describeOver());
      return;
    }
    if (started) {
      this.#o.logger.warn(
        { bytes },
        'the server printed a non-JSON line on stdout: dropped (stdout is for JSON-RPC; log to stderr)',
      );
    }
    // One timer per burst, re-armed by nothing: a burst is audited at most STRAY_BURST_MS after it
    // began, or earlier when a valid message or the end of the session closes it.
    if (this.#strayTimer === undefined) {
      this.#strayTimer = setTimeout(() => this.#auditStrayBurst(), STRAY_BURST_MS);
      this.#strayTimer.unref();
    }
  }

  /** Close the open burst of stray lines, if any, with its one audit event. */
  #auditStrayBurst(): void {
    clearTimeout(this.#strayTimer);
    this.#strayTimer = undefined;
    const burst = this.#stray.takeBurst();
    if (burst) this.#o.audit.write({ event: 'protocol.stray-output', ...burst });
  }

  /**
   * The server exited before it answered initialize. That is a broken set-up (a missing module or
   * library, a read-only path, no network), not an attack: say so with its last stderr lines and a
   * hint, answer what is in flight, and end with EXIT_STARTUP (or wait to restart).
   */
  #startupFailed(link: SandboxLink, info: { code: number | null; signal: string | null }): void {
    const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`;
    const reason = `server exited during start-up with ${how}`;
    const stderr = link.stderrTail();
    const hint = startupHint(stderr);
    this.#o.audit.write({
      event: 'sandbox.startup-failed',
      pid: link.pid,
      code: info.code,
      signal: info.signal,
      stderr,
      ...(hint === undefined ? {} : { hint }),
    });
    this.#o.serverLog.write(describeStartupFailure(reason, stderr, hint));
    this.#stopReason = reason;
    this.#answerInFlight('sandbox.exited', reason);
    if (this.#o.profile.onServerBreach === 'restart') {
      this.#phase = 'down';
      this.#link = undefined;
      return;
    }
    void this.end(reason, EXIT_STARTUP, false);
  }

  /** One audit event per prompt, resource, template or instructions the policy kept from the client. */
  #auditWithheld(withheld: readonly WithheldDefinition[]): void {
    for (const { kind, name, rule, reason } of withheld) {
      this.#o.audit.write({ event: 'definition.withheld', kind, name, rule, reason });
    }
  }

  /** Record a tools/list review; every newly withheld tool is one audit event. */
  #applyToolsReview(review: ToolsReview): void {
    for (const [tool, why] of review.withhold) {
      if (this.#state.withheld.get(tool)?.reason === why.reason) continue;
      this.#o.audit.write({ event: 'tool.withheld', tool, rule: why.rule, reason: why.reason });
    }
    for (const [tool, sha256] of review.pin) {
      if (!this.#state.pins.has(tool)) this.#o.audit.write({ event: 'tool.pinned', tool, sha256 });
    }
    this.#state.applyToolsReview(review);
  }

  /**
   * The server says its tools changed: list them ourselves at once so a changed definition is checked
   * against the pins (and the tool withheld) even if the client never lists again. The answer is
   * reviewed like any tools/list result and not forwarded.
   */
  #relistTools(): void {
    const guards = this.#o.policy.policy.guards;
    if (!guards.pinTools && guards.poisonedTools === 'off') return;
    // At most one re-list in flight: notices that come meanwhile are coalesced into one more after it,
    // so a server flooding list_changed (and not reading its stdin) cannot queue requests without end.
    if (this.#relist !== 'idle') {
      this.#relist = 'again';
      return;
    }
    this.#sendRelist();
  }

  #sendRelist(): void {
    this.#relist = 'in-flight';
    const id = `mcp-warden-relist-${++this.#relists}`;
    this.#trackClientRequest(id, 'tools/list', undefined, true);
    const line = encodeLine({ jsonrpc: '2.0', id, method: 'tools/list' });
    this.#o.tap?.own('server', line);
    this.#toServer(line);
  }

  /** The re-list in flight was answered or timed out: send the one that was asked for meanwhile. */
  #relistSettled(): void {
    const again = this.#relist === 'again';
    this.#relist = 'idle';
    if (again && this.#phase === 'running') this.#sendRelist();
  }

  /**
   * A server breach seen outside the message stream (the egress proxy refused a connection under
   * network.onDeny "kill"): audited as a kill verdict and handled like any server breach (the
   * sandbox is killed, in-flight requests get -32002 with `rule`, then exit 70 or restart). One told
   * while the first sandbox is still being linked (a warm sandbox's boot) waits for the link. Ignored
   * once the session is ending.
   */
  breach(rule: RuleId, reason: string): void {
    if (this.#link === undefined && this.#phase === 'running') {
      this.#deferredBreach ??= { rule, reason };
      return;
    }
    this.#serverBreach(rule, reason);
  }

  #serverBreach(rule: RuleId, reason: string, detail?: string, method?: string): void {
    if (this.#phase !== 'running') return;
    this.#audit('server', { action: 'kill', rule, reason, detail }, method);
    this.#breach(rule, reason);
  }

  /** Kill the sandbox at once, answer everything in flight, then exit 70 or wait to restart. */
  #breach(rule: RuleId, reason: string): void {
    if (this.#phase !== 'running') return;
    this.#o.logger.warn({ rule, reason }, 'breach: killing the sandbox');
    const link = this.#link;
    this.#stopReason = `breach: ${rule}`;
    this.#answerInFlight(rule, reason);
    if (this.#o.profile.onServerBreach === 'restart') {
      this.#phase = 'down';
      this.#link = undefined;
      void link?.stop(false);
      return;
    }
    void this.end(`breach: ${rule}`, EXIT_BREACH, false);
  }

  #answerInFlight(rule: RuleId, reason: string): void {
    this.#relist = 'idle'; // the re-list in flight, if any, died with the sandbox
    for (const request of this.#state.drainInFlight()) {
      if (!request.internal) this.#writeOwn(encodeLine(terminatedError(request.id, rule, reason)));
    }
  }

  // ---- restart ---------------------------------------------------------------------------------

  async #restart(): Promise<void> {
    if (this.#phase !== 'down') return;
    this.#phase = 'running';
    // Everything the client sends from now until the new sandbox has its handshake goes to the queue:
    // there is no sandbox to write to while it starts.
    this.#replaying = true;
    this.#o.logger.info('restarting the sandbox');
    try {
      await this.#startSandbox();
    } catch (error) {
      this.#o.logger.error({ err: error }, 'sandbox restart failed');
      this.#phase = 'down';
      this.#replaying = false;
      const queued = this.#queue;
      this.#queue = [];
      for (const line of queued) this.#answerQueued(line, 'sandbox restart failed');
      return;
    }
    if (!this.#initialize) {
      this.#replaying = false;
      this.#flushQueue();
      return;
    }
    // Replay the handshake under an id the client never used; its answer is swallowed.
    const replayId = `mcp-warden-replay-${this.#generation}`;
    const request = JSON.parse(this.#initialize.raw.toString('utf8')) as Record<string, unknown>;
    this.#trackClientRequest(replayId, 'initialize', undefined, true);
    const line = encodeLine({ ...request, id: replayId });
    this.#o.tap?.own('server', line);
    this.#link?.write(line);
  }

  #finishReplay(): void {
    this.#replaying = false;
    if (this.#sawInitialized)
      this.#link?.write(encodeLine({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    this.#flushQueue();
  }

  #flushQueue(): void {
    const queued = this.#queue;
    this.#queue = [];
    // Client lines held during the restart (not the server's doing): written as before, unchecked.
    for (const line of queued) this.#link?.write(line);
  }

  #answerQueued(line: Buffer, reason: string): void {
    const parsed = parseLine(line, { maxDepth: this.#o.profile.policy.limits.maxDepth });
    if (parsed.ok && parsed.message.kind === 'request') {
      this.#state.settleClientRequest(parsed.message.message.id);
      this.#writeOwn(encodeLine(terminatedError(parsed.message.message.id, 'sandbox.exited', reason)));
    }
  }

  // ---- audit -----------------------------------------------------------------------------------

  #audit(
    direction: Direction,
    verdict: { action: 'deny' | 'kill'; rule: RuleId; reason: string; detail?: string },
    method?: string,
    tool?: string,
  ): void {
    this.#o.audit.write({
      event: 'verdict',
      direction,
      action: verdict.action,
      rule: verdict.rule,
      reason: verdict.reason,
      ...(method === undefined ? {} : { method }),
      ...(tool === undefined ? {} : { tool }),
      ...(verdict.detail === undefined ? {} : { detail: verdict.detail }),
    });
  }
}

/** The start-up failure as the user reads it on stderr: what happened, the server's last words, the fix. */
function describeStartupFailure(reason: string, stderr: readonly string[], hint: string | undefined): string {
  const lines = [`mcp-warden: ${reason}`];
  if (stderr.length > 0) {
    lines.push('  its last stderr lines:');
    for (const line of stderr) lines.push(`  | ${line}`);
  } else {
    lines.push('  it wrote nothing to stderr');
  }
  if (hint !== undefined) lines.push(`  hint: ${hint}`);
  return `${lines.join('\n')}\n`;
}

function requestIdOf(params: unknown): unknown {
  return typeof params === 'object' && params !== null
    ? (params as { requestId?: unknown }).requestId
    : undefined;
}

function toolName(params: unknown): string | undefined {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
  const name = (params as { name?: unknown }).name;
  return typeof name === 'string' ? name.slice(0, 128) : undefined;
}
