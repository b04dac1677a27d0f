import { decide } from '../policy/decide.ts';
import { learnTools } from '../policy/tool-info.ts';
import type { RuleId, Verdict } from '../policy/types.ts';
import { idKey, type JsonRpcId, type JsonRpcMessage } from '../protocol/json-rpc.ts';
import { LineFramer } from '../protocol/line-framer.ts';
import { parseLine } from '../protocol/parse-line.ts';
import { encodeLine, policyError, terminatedError } from '../protocol/wire-errors.ts';
import type { ExitInfo } from '../sandboxes/types.ts';
import { Approvals } from './approvals.ts';
import { LineWriter } from './client-writer.ts';
import { HandshakeReplay } from './handshake-replay.ts';
import { type ExpiredRequest, RequestTimeouts } from './request-timeouts.ts';
import { SandboxLink } from './sandbox-link.ts';
import { auditStop, judgeExit, reportStartupFailure } from './sandbox-exit.ts';
import { type AuditedVerdict, auditToolsReview, auditVerdict, auditWithheld } from './session-audit.ts';
import { SessionState } from './session-state.ts';
import {
  EXIT_BREACH,
  EXIT_OK,
  EXIT_STARTUP,
  EXIT_UNAVAILABLE,
  MAX_OWN_PENDING_TO_CLIENT,
  maxPendingToServer,
  type SessionOptions,
} from './session-options.ts';
import { StrayOutput } from './stray-output.ts';
import { ToolsRelist } from './tools-relist.ts';

export { EXIT_BREACH, EXIT_OK, EXIT_STARTUP, EXIT_UNAVAILABLE, type SessionOptions };

type Phase = 'running' | 'down' | 'ending' | 'ended';

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
  readonly #replay = new HandshakeReplay();
  readonly #timeouts: RequestTimeouts;
  readonly #relist: ToolsRelist;
  /** Why the warden is stopping the current sandbox (for its sandbox.stop event). */
  #stopReason = '';
  /** The current sandbox answered initialize: until then, its exit is a start-up failure. */
  #started = false;
  readonly #stray: StrayOutput;
  /** policy.approve: calls held while the user is asked through the client. */
  readonly #approvals: Approvals;
  /** A breach told before the sandbox was linked (see breach()). */
  #deferredBreach: { rule: RuleId; reason: string } | undefined;
  #resolveDone!: (code: number) => void;
  readonly #done = new Promise<number>((resolve) => (this.#resolveDone = resolve));

  constructor(options: SessionOptions) {
    this.#o = options;
    this.#toClient = new LineWriter(options.clientOut);
    this.#toClient.holdOwnWrites(options.clientIn, MAX_OWN_PENDING_TO_CLIENT);
    this.#stray = new StrayOutput(options.profile.policy.strayOutput, (burst) =>
      options.audit.write({ event: 'protocol.stray-output', ...burst }),
    );
    this.#timeouts = new RequestTimeouts(
      this.#state,
      options.profile.policy.limits.requestTimeoutMs,
      (request) => this.#onRequestTimeout(request),
    );
    this.#relist = new ToolsRelist((id) => {
      this.#timeouts.track(id, 'tools/list', undefined, true);
      const line = encodeLine({ jsonrpc: '2.0', id, method: 'tools/list' });
      this.#o.tap?.own('server', line);
      this.#toServer(line);
    });
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
    this.#stray.closeBurst();
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
        const exit = judgeExit(info, expected, this.#started);
        auditStop(this.#o.audit, link.pid, info, exit, this.#stopReason);
        if (exit.kind === 'startup') this.#startupFailed(link, info);
        else if (exit.kind === 'breach') this.#serverBreach(exit.rule, exit.reason);
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
      this.#timeouts.track(message.id, message.method, toolName(message.params));
      if (message.method === 'initialize') {
        this.#replay.noteInitialize(out);
        this.#approvals.noteClientInitialize(message.params);
      }
    } else if (kind === 'notification') {
      if (message.method === 'notifications/initialized') this.#replay.noteInitialized();
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
    this.#timeouts.track(id, 'tools/call', tool.slice(0, 128));
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

  #onRequestTimeout({ id, method, tool, internal }: ExpiredRequest): void {
    const reason = `no answer from the server within ${this.#timeouts.timeoutMs} ms`;
    if (internal && method === 'initialize') {
      // The replayed handshake of a restarted sandbox: it will not serve, and the client's lines are
      // held behind it. Stop it; the next request starts another.
      this.#state.settleClientRequest(id);
      this.#serverBreach('request.timeout', `the restarted server did not answer initialize: ${reason}`);
      return;
    }
    if (internal && method === 'tools/list') {
      // The warden's own request (re-listing tools): nobody to answer, just stop waiting.
      this.#state.abandon(id);
      this.#relist.settled(this.#phase === 'running');
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

  /** Forward to the sandbox; while it restarts, hold. */
  #toServer(line: Buffer): void {
    if (this.#phase === 'down') {
      this.#replay.hold(line);
      void this.#restart();
      return;
    }
    if (this.#replay.holding) {
      this.#replay.hold(line);
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
    this.#stray.closeBurst();
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
    if (verdict.tools) {
      auditToolsReview(this.#o.audit, this.#state, verdict.tools);
      this.#state.applyToolsReview(verdict.tools);
    }
    if (verdict.withheld) auditWithheld(this.#o.audit, verdict.withheld);
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
        else if (request.method === 'tools/list') this.#relist.settled(this.#phase === 'running');
        return;
      }
    } else if (kind === 'request') {
      this.#state.serverInFlight.set(idKey(message.id), { id: message.id, method: message.method });
    } else if (message.method === 'notifications/tools/list_changed') {
      const guards = this.#o.policy.policy.guards;
      if (guards.pinTools || guards.poisonedTools !== 'off') this.#relist.notice();
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
      this.#stray.closeBurst();
      this.#serverBreach('protocol.stray-output', this.#stray.describeOver());
      return;
    }
    if (started) {
      this.#o.logger.warn(
        { bytes },
        'the server printed a non-JSON line on stdout: dropped (stdout is for JSON-RPC; log to stderr)',
      );
    }
  }

  /**
   * The server exited before it answered initialize. That is a broken set-up (a missing module or
   * library, a read-only path, no network), not an attack: say so with its last stderr lines and a
   * hint, answer what is in flight, and end with EXIT_STARTUP (or wait to restart).
   */
  #startupFailed(link: SandboxLink, info: ExitInfo): void {
    const reason = reportStartupFailure(this.#o.audit, this.#o.serverLog, link, info);
    this.#stopReason = reason;
    this.#answerInFlight('sandbox.exited', reason);
    if (this.#o.profile.onServerBreach === 'restart') {
      this.#goDown();
      return;
    }
    void this.end(reason, EXIT_STARTUP, false);
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
      this.#goDown();
      void link?.stop(false);
      return;
    }
    void this.end(`breach: ${rule}`, EXIT_BREACH, false);
  }

  /**
   * No sandbox until the next client message (onServerBreach "restart"). Lines held for a handshake
   * the dead sandbox never finished are dropped: its requests were answered with everything in flight,
   * and the next sandbox must not get them.
   */
  #goDown(): void {
    this.#phase = 'down';
    this.#link = undefined;
    this.#replay.abort();
  }

  #answerInFlight(rule: RuleId, reason: string): void {
    this.#relist.reset();
    for (const request of this.#state.drainInFlight()) {
      if (!request.internal) this.#writeOwn(encodeLine(terminatedError(request.id, rule, reason)));
    }
  }

  // ---- restart ---------------------------------------------------------------------------------

  async #restart(): Promise<void> {
    if (this.#phase !== 'down') return;
    this.#phase = 'running';
    // Everything the client sends from now until the new sandbox has its handshake is held: there is
    // no sandbox to write to while it starts.
    this.#replay.startHolding();
    this.#o.logger.info('restarting the sandbox');
    try {
      await this.#startSandbox();
    } catch (error) {
      this.#o.logger.error({ err: error }, 'sandbox restart failed');
      this.#phase = 'down';
      for (const line of this.#replay.abort()) this.#answerHeld(line, 'sandbox restart failed');
      return;
    }
    const replay = this.#replay.replay(this.#generation);
    if (!replay) {
      this.#finishReplay();
      return;
    }
    // The client's handshake, replayed under an id the client never used; its answer is swallowed.
    this.#timeouts.track(replay.id, 'initialize', undefined, true);
    this.#o.tap?.own('server', replay.line);
    this.#link?.write(replay.line);
  }

  /** Client lines held during the restart (not the server's doing): written as before, unchecked. */
  #finishReplay(): void {
    for (const line of this.#replay.finish()) this.#link?.write(line);
  }

  #answerHeld(line: Buffer, reason: string): void {
    const parsed = parseLine(line, { maxDepth: this.#o.profile.policy.limits.maxDepth });
    if (parsed.ok && parsed.message.kind === 'request') {
      this.#state.settleClientRequest(parsed.message.message.id);
      this.#writeOwn(encodeLine(terminatedError(parsed.message.message.id, 'sandbox.exited', reason)));
    }
  }

  #audit(direction: 'client' | 'server', verdict: AuditedVerdict, method?: string, tool?: string): void {
    auditVerdict(this.#o.audit, direction, verdict, method, tool);
  }
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
