// The shape of the red-team corpus: every attack is data (what to send, what must happen), and one
// runner (attack-suite.ts) executes each case against every backend it applies to.
import type { RuleId } from '../../src/policy/types.ts';
import type { OutsideSecret } from '../helpers/tmp-root.ts';
import type { RawMessage, RawWarden } from '../helpers/warden.ts';
import type { NetworkFixture } from './network/session.ts';

export type Family =
  | 'paths'
  | 'framing'
  | 'mcp'
  | 'containment'
  | 'descriptors'
  | 'setuid'
  | 'keyrings'
  | 'bundling'
  | 'redos'
  | 'network';
export const FAMILIES: readonly Family[] = [
  'paths',
  'framing',
  'mcp',
  'containment',
  'descriptors',
  'setuid',
  'keyrings',
  'bundling',
  'redos',
  'network',
];

export type BackendName = 'none' | 'bwrap' | 'docker' | 'gvisor' | 'isolate';
export const BACKENDS: readonly BackendName[] = ['none', 'bwrap', 'docker', 'gvisor', 'isolate'];

/**
 * Which layer must stop the case: `policy` cases run on every backend including `none` (the policy
 * engine alone must hold); `os` cases run only on isolating backends (only the sandbox can hold).
 */
export type Layer = 'policy' | 'os';

/** Everything a case may refer to; built once per backend by the runner. */
export interface AttackContext {
  backend: BackendName;
  /** The read-write root (first root: relative paths resolve against it). */
  root: string;
  /** A second root, mounted `:ro`. */
  ro: string;
  /** A canary file outside every root, readable and writable by anyone on the host. */
  secret: OutsideSecret;
  /** The warden's home directory (what `~` means to the policy). */
  home: string;
  /** A fresh unique marker. */
  mark(): string;
  /** A TCP listener on 127.0.0.1 owned by the test; `tcpConnections()` counts who reached it. */
  tcpPort: number;
  tcpConnections(): number;
  /** The same on ::1, when the host has IPv6 loopback (else undefined). */
  tcp6Port: number | undefined;
  /** A UDP socket on 127.0.0.1; `udpDatagrams()` counts what arrived. */
  udpPort: number;
  udpDatagrams(): number;
  /** A unix socket at a path outside the roots, and an abstract one; each counts connections. */
  unixPath: string;
  abstractName: string;
  unixConnections(): number;
  /** A marker in the command line of a host process the sandbox must not see. */
  hostProcessMarker: string;
  /** A value in the warden's environment the server must never see. */
  envCanary: string;
  /** Static C probe (unshare, mount, setuid...) copied into the root, when a C compiler exists here. */
  sysprobe: string | undefined;
  /** The same binary, owned by root with the setuid bit, when the tests run as root. */
  suidProbe: string | undefined;
  /** The network family's targets and test CA (tests/attacks/network), when they started. */
  net: NetworkFixture | undefined;
}

/** What to do. */
export type Action =
  /** A client request with these params (the runner picks a unique id the server log is checked for). */
  | { kind: 'request'; method: string; params?: (ctx: AttackContext) => unknown }
  /** A raw client line (without "\n"); it must embed `marker` so the runner can tell if the server saw it. */
  | { kind: 'raw'; line: (ctx: AttackContext, marker: string) => string | Buffer }
  /**
   * The server misbehaves: writes these exact bytes (a line, "\n" included) or runs a fixture mode.
   * `requestId` is the id of the client request the server writes them in answer to (the `emit` call),
   * so the bytes may be that request's own (breaching) answer.
   */
  | { kind: 'server'; emit: (ctx: AttackContext, requestId: string) => string | Buffer }
  | { kind: 'server-mode'; mode: string }
  /**
   * A probe run inside the sandbox by the hostile fixture (its arguments are hidden from the policy),
   * in the shared `probe` session, or in the shared `network` session (egress by allowlist on).
   */
  | {
      kind: 'probe';
      probe: (ctx: AttackContext) => Record<string, unknown> | Promise<Record<string, unknown>>;
      session?: 'network';
    }
  /** Anything else: a scenario with its own session(s); it returns its own outcome. */
  | { kind: 'custom'; run: (ctx: AttackContext, api: CustomApi) => Promise<string | undefined> };

/** A check returns undefined when the outcome is safe, else a sentence saying what went wrong. */
export type Check<T> = (value: T, ctx: AttackContext) => string | undefined | Promise<string | undefined>;

/** The expected safe outcome. */
export type Expect =
  /** -32001 with this rule (or one of them); the server never received the message. */
  | { kind: 'denied'; rule: RuleId | readonly RuleId[] }
  /** A control: forwarded and answered by the server. */
  | { kind: 'allowed'; check?: Check<RawMessage> }
  /** No answer, and the server never received it (notifications, blank lines). */
  | { kind: 'ignored' }
  /** The sandbox is killed: the breaching and a bystander request get -32002 with this rule. */
  | { kind: 'killed'; rule: RuleId | readonly RuleId[] }
  /** A probe's result (parsed JSON) or a custom scenario is judged by `check`/its own return value. */
  | { kind: 'contained'; what: string; check?: Check<Record<string, unknown>> };

export interface AttackCase {
  /** Stable id, `family.short-name`. */
  id: string;
  family: Family;
  title: string;
  layer: Layer;
  action: Action;
  expect: Expect;
  /** Backends where the case does not apply, with the reason (shown in the matrix and docs). */
  notApplicable?: Partial<Record<BackendName, string>>;
  /** Backends that cannot contain this case, with the reason: documented gaps, never silent. */
  gap?: Partial<Record<BackendName, string>>;
  /** A precondition of this host (e.g. a C compiler); returns the not-applicable reason when unmet. */
  requires?: (ctx: AttackContext) => string | undefined;
  /** The engine feature this case needs has not landed yet: a failure is reported as "not yet". */
  pendingFeature?: string;
  /**
   * Decided when the case runs: the feature it needs is missing on this backend (e.g. the backend
   * refuses a network allowlist); the case is not run and is reported as "not yet" with this reason.
   */
  pending?: (ctx: AttackContext) => string | undefined;
}

/** What a custom scenario may use. */
export interface CustomApi {
  /** A warden on this backend with the hostile fixture (initialize done unless `handshake: false`). */
  warden(options?: {
    extraArgs?: string[];
    fixtureArgs?: string[];
    handshake?: boolean;
    policy?: object;
    /** A profile file instead of the backend's name, and a command prefix (a network namespace). */
    profile?: string;
    prefix?: string[];
  }): Promise<RawWarden>;
  /** The shared client session of this case's family (paths, framing and mcp cases only). */
  shared(): Promise<RawWarden>;
  /** True when the shared session's server received a line containing `marker`. */
  serverSaw(marker: string): boolean;
}

/** Outcome of one case on one backend, as the matrix shows it. */
export type CellStatus = 'contained' | 'failed' | 'not-applicable' | 'gap' | 'not-yet';

export interface CaseResult {
  id: string;
  family: Family;
  backend: BackendName;
  status: CellStatus;
  /** Why: the failure, the n/a reason, the gap, or the pending feature. */
  note?: string;
}
