import type { Policy } from '../config/policy-schema.ts';
import type { ResolvedRoot } from '../config/root.ts';
import type { JsonRpcId, JsonRpcMessage } from '../protocol/json-rpc.ts';

/** Which way a message travels. */
export type Direction = 'client' | 'server'; // 'client' = client→server, 'server' = server→client

/** Stable rule ids (DESIGN.md). Tests, docs and audit consumers rely on these strings. */
export type RuleId =
  | 'path.outside-root'
  | 'path.read-only'
  | 'size.message'
  | 'size.argument'
  | 'method.not-allowed'
  | 'tool.not-allowed'
  | 'server.request-not-allowed'
  | 'protocol.invalid-json'
  | 'protocol.invalid-message'
  | 'protocol.stray-output'
  | 'protocol.unknown-id'
  | 'protocol.duplicate-id'
  | 'request.timeout'
  | 'sandbox.exited'
  | 'sandbox.limit'
  | 'tool.description-poisoned'
  | 'tool.definition-changed'
  | 'rate.exceeded'
  | 'network.host-not-allowed'
  | 'network.private-address'
  | 'network.sni-mismatch'
  | 'network.limit'
  /** Gateway: more than limits.clientQueueBytes waited for a client that is not reading its responses. */
  | 'client.not-reading'
  /** Gateway: the session's credential was revoked (revocationFile) or its token expired. */
  | 'auth.revoked'
  | 'auth.expired'
  /** Gateway: the client deleted its session (DELETE) while this request was in flight. */
  | 'session.deleted'
  /** policy.approve: the user declined or cancelled, the approval timed out, or the client cannot ask. */
  | 'approval.declined';

/**
 * The outcome of one policy decision.
 * - allow: forward. `rewrite`, when present, is the message to forward instead of the original bytes.
 * - deny: do not forward; the client gets -32001 (client direction) or the message is dropped.
 * - kill: the sandbox is killed (server breach, or client breach under onClientBreach "kill").
 */
export type Verdict =
  | {
      action: 'allow';
      rewrite?: Record<string, unknown>;
      tools?: ToolsReview;
      /** Server messages: what the content guards removed from `rewrite` (counts only, for the audit). */
      guarded?: ContentGuarding;
      /** Server messages: prompts, resources, templates or instructions left out of `rewrite`. */
      withheld?: readonly WithheldDefinition[];
    }
  | { action: 'deny'; rule: RuleId; reason: string; detail?: string }
  | { action: 'kill'; rule: RuleId; reason: string; detail?: string };

/** What the content guards changed in one server message: counts only, never the content. */
export interface ContentGuarding {
  /** Secret pattern id → number replaced by a marker. */
  secrets: Record<string, number>;
  /** Terminal escapes, bidi controls and invisible characters removed. */
  controls: number;
}

/**
 * A definition other than a tool (a listed prompt, resource or resource template, or the server's
 * initialize instructions) left out of what the client sees because the poison detectors flagged it.
 */
export interface WithheldDefinition {
  kind: 'prompt' | 'resource' | 'resource-template' | 'instructions';
  /** Its name (prompts), URI or URI template (resources), or "instructions". */
  name: string;
  rule: 'tool.description-poisoned';
  reason: string;
}

/** A tool the policy keeps from the client (left out of tools/list, calls denied), and why. */
export interface WithheldTool {
  rule: 'tool.definition-changed' | 'tool.description-poisoned';
  reason: string;
}

/**
 * What reviewing one tools/list result decided, for the supervisor to record in the session state:
 * `pin` are first-seen definitions (name → sha256) to remember; `withhold` the listed tools kept from
 * the client; `release` the listed tools that are fine again. Tools not in the listing are untouched.
 */
export interface ToolsReview {
  pin: ReadonlyArray<readonly [string, string]>;
  withhold: ReadonlyArray<readonly [string, WithheldTool]>;
  release: readonly string[];
}

/** What the policy knows of one tool, learned from the server's tools/list results. */
export interface ToolInfo {
  /** Top-level argument names the input schema marks as paths (by name or description). */
  pathParams: ReadonlySet<string>;
  /** Top-level argument names the input schema declares and does not mark as paths. */
  otherParams: ReadonlySet<string>;
  /** Top-level argument names the input schema marks as glob patterns (by name or description). */
  globParams: ReadonlySet<string>;
}

/** Read-only view of the session that the supervisor maintains; policy never mutates it. */
export interface SessionView {
  /** Client request ids currently awaiting a server response (key: idKey(id)), with the method. */
  readonly clientInFlight: ReadonlyMap<string, { method: string; tool?: string }>;
  /** Server request ids currently awaiting a client response (key: idKey(id)). */
  readonly serverInFlight: ReadonlyMap<string, { method: string }>;
  /** Client ids answered by the warden itself (timeout, denial); a late server answer is dropped, not a breach. */
  readonly abandoned: ReadonlySet<string>;
  /** Tools learned from tools/list; empty until the server listed them. */
  readonly tools: ReadonlyMap<string, ToolInfo>;
  /** Tool definitions pinned at their first listing in this session (name → sha256); unused with a lock. */
  readonly pins: ReadonlyMap<string, string>;
  /** Tools kept from the client until their definition is approved again. */
  readonly withheld: ReadonlyMap<string, WithheldTool>;
}

/**
 * Host facts the pure rules need, injected so policy/ does no I/O itself.
 * `realpath` returns the host realpath of an existing path, or undefined when it does not exist.
 * `readlink` returns the target of a symlink, or undefined when the path is not a symlink: it is how
 * a dangling symlink (realpath fails, yet open(O_CREAT) would create its target) is told apart from
 * a name that does not exist.
 */
export interface PolicyContext {
  policy: Policy;
  roots: readonly ResolvedRoot[];
  /** The host user's home directory, for `~` expansion. */
  home: string;
  realpath: (path: string) => string | undefined;
  readlink: (path: string) => string | undefined;
  /**
   * lstat(2): true when anything (a dangling symlink too) exists at `path`. Lets the policy skip a
   * relative name that reaches nothing in one cheap lookup; undefined: realpath and readlink are asked.
   */
  exists?: (path: string) => boolean;
  /** Tool pins from the lock file (name → sha256); undefined: no lock, pins are learned per session. */
  lock?: ReadonlyMap<string, string>;
}

/** Input to decide(). `message` has already passed framing and shape validation. */
export interface PolicyInput {
  direction: Direction;
  message: JsonRpcMessage;
  /** Size of the raw line in bytes (framing already enforced the hard cap). */
  bytes: number;
  /**
   * The decoded line (parseLine's `text`): server-message content rules pre-check it to skip walking
   * messages that cannot hold what they look for. Undefined: no pre-check, every rule walks.
   */
  text?: string;
}

export type { JsonRpcId };
