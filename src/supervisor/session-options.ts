import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Profile } from '../config/profile-schema.ts';
import type { JsonRpcMessage } from '../protocol/json-rpc.ts';
import type { PolicyContext, SessionView, Verdict } from '../policy/types.ts';
import type { Backend, Sandbox, SandboxPlan } from '../sandboxes/types.ts';
import type { SessionTap } from './session-tap.ts';

/** Exit statuses of a session (DESIGN.md). */
export const EXIT_OK = 0;
export const EXIT_BREACH = 70;
/** The sandbox could not be started (the CLI exits 69, backend unavailable). */
export const EXIT_UNAVAILABLE = 69;
/** The server exited during start-up (before it answered initialize): its set-up is broken. */
export const EXIT_STARTUP = 71;

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

/**
 * Most bytes that may wait for the server to read its stdin before it counts as not reading. Client
 * lines stop being read while the server's stdin is full (LineWriter back-pressure) and the warden's
 * own writes are bounded (one re-list, cancellations skipped while full), so an honest flow never
 * holds more than about one client message, the handshake replay and a chunk: twice the client message
 * cap plus a margin. Past it the server is killed rather than letting the warden's memory grow.
 */
export function maxPendingToServer(clientMessageBytes: number): number {
  return 2 * clientMessageBytes + 1024 * 1024;
}

/**
 * Most bytes of the warden's own answers (denials, timeouts, -32002) that may wait for a client that is
 * not reading before the warden stops reading that client's messages (until it reads again). Server
 * output never counts: while the client's output is full the sandbox's stdout is paused instead, and
 * client messages keep flowing to the server.
 */
export const MAX_OWN_PENDING_TO_CLIENT = 1024 * 1024;
