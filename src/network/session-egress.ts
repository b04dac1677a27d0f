import { rmSync } from 'node:fs';
import path from 'node:path';
import type { ConnectionEvent } from './connection-event.ts';
import type { NetworkRuleId } from './egress-policy.ts';
import { EgressProxy } from './egress-proxy.ts';
import type { EgressMode } from './egress-settings.ts';
import { type LoopbackEntry, type LoopbackListener, listenLoopback } from './loopback-listener.ts';

/** Where a session's proxy reports to. */
export interface EgressSinks {
  /** Every connection's audit event, when it ends. */
  audit: (event: ConnectionEvent) => void;
  /**
   * A refusal under `onDeny: "kill"`: the session must end as a breach. Called before the server is
   * answered, so the breach is under way before the server can act on the refusal.
   */
  breach: (rule: NetworkRuleId, reason: string) => void;
}

/** One session's egress proxy, listening; see startSessionEgress. */
export interface SessionEgress {
  /** The proxy's unix socket (in a private 0700 directory of its own). */
  readonly socketPath: string;
  /**
   * The proxy's second entry on the host's loopback, with its credential (seatbelt: no private
   * network, so no relay inside). Undefined unless asked for (`loopback` of startSessionEgress).
   */
  readonly loopback?: LoopbackEntry;
  /**
   * Give the proxy its sinks. What happened before (a warm sandbox's server connecting while it
   * booted, before any session) is replayed to them now.
   */
  attach(sinks: EgressSinks): void;
  /** Stop listening, end every connection (each audited), remove the socket's directory. Idempotent. */
  close(): Promise<void>;
}

type ProxyMode = Extract<EgressMode, { kind: 'proxy' }>;

/** Socket directories of proxies not yet closed: removed at the latest when the warden exits. */
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function removeLiveDirs(): void {
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  liveDirs.clear();
}

/**
 * Start a session's own egress proxy on `socketPath` (its directory is created 0700, see
 * EgressProxy.listen; `owner`: the uid/gid the sandbox runs as when not the warden's), with the
 * session's caps (connections, bytes out) counted by this proxy alone. Events are held until
 * `attach`. `options.loopback`: also listen on 127.0.0.1 (a port the kernel picks), serving only
 * clients that present the entry's credential. Throws WardenError('launch-failed') when the socket
 * or the listener cannot be made.
 */
export async function startSessionEgress(
  mode: ProxyMode,
  socketPath: string,
  owner?: { uid: number; gid: number },
  options: { loopback?: boolean } = {},
): Promise<SessionEgress> {
  const kill = mode.settings.onDeny === 'kill';
  const pendingEvents: ConnectionEvent[] = [];
  const pendingRefusals: Array<[NetworkRuleId, string]> = [];
  let sinks: EgressSinks | undefined;
  const proxy = new EgressProxy({
    policy: mode.policy,
    onEvent: (event) => (sinks ? sinks.audit(event) : void pendingEvents.push(event)),
    onRefused: (rule, reason) => {
      if (!kill) return;
      if (sinks) sinks.breach(rule, reason);
      else pendingRefusals.push([rule, reason]);
    },
  });
  const dir = path.dirname(socketPath);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', removeLiveDirs);
  }
  liveDirs.add(dir);
  try {
    await proxy.listen(socketPath, owner);
  } catch (error) {
    liveDirs.delete(dir);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let loopback: LoopbackListener | undefined;
  if (options.loopback === true) {
    try {
      loopback = await listenLoopback((socket, credential) => void proxy.handle(socket, credential));
    } catch (error) {
      await proxy.close();
      liveDirs.delete(dir);
      throw error;
    }
  }
  let closing: Promise<void> | undefined;
  return {
    socketPath,
    ...(loopback === undefined ? {} : { loopback: { port: loopback.port, credential: loopback.credential } }),
    attach(next) {
      sinks = next;
      for (const event of pendingEvents.splice(0)) next.audit(event);
      for (const [rule, reason] of pendingRefusals.splice(0)) next.breach(rule, reason);
    },
    close() {
      closing ??= (async () => {
        // Stop accepting first; the listener's close settles once proxy.close has ended its connections.
        const stopped = loopback?.close();
        await proxy.close();
        await stopped;
      })().finally(() => liveDirs.delete(dir));
      return closing;
    },
  };
}
