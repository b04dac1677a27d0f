import type { Duplex } from 'node:stream';
import type { ConnectionEvent } from './connection-event.ts';
import type { EgressPolicy, NetworkRuleId } from './egress-policy.ts';
import type { IpAddress } from './ip-literal.ts';

/** What one connection needs from the proxy that owns it. */
export interface ConnectionContext {
  policy: EgressPolicy;
  hostAddresses: readonly string[];
  /** Resolve a name (not in `policy.resolve`) to its addresses; rejects when it does not resolve. */
  lookup: (name: string) => Promise<IpAddress[]>;
  /** Open a TCP connection to an address the policy allowed. */
  dial: (ip: IpAddress, port: number) => Promise<Duplex>;
  /** Connections open now, this one included. */
  active: () => number;
  /** Ask to send `bytes` more upstream; false when the session's byte cap would be passed. */
  takeBytesOut: (bytes: number) => boolean;
  headTimeoutMs: number;
  now: () => number;
  /**
   * Told the moment a connection is refused, before the client hears of it: under onDeny "kill" the
   * session's breach is under way before the server can act on the refusal.
   */
  refused: (rule: NetworkRuleId, reason: string) => void;
  /**
   * The session's proxy credential (proxy-auth.ts) when the connection came in on the host's loopback
   * (seatbelt), which any local process can reach: nothing is decided for a client without it.
   * Undefined: none asked (the unix socket, which only the sandbox reaches).
   */
  credential?: string;
}

/** Why a client without the session's credential is refused (the 407 body and the audit reason). */
export const NO_CREDENTIAL = 'no valid proxy credential (the one in HTTP_PROXY inside the sandbox)';

export type Protocol = ConnectionEvent['protocol'];

/** A connection the egress policy refuses: the rule, why, and how a profile would allow it. */
export type Refusal = { rule: NetworkRuleId; reason: string; allow: string; address?: string };

/** The connection's audit event, with what is known so far. */
export type MakeEvent = (
  protocol: Protocol,
  host: string,
  port: number,
  rest: Partial<ConnectionEvent>,
) => ConnectionEvent;
