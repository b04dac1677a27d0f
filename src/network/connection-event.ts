import type { NetworkRuleId } from './egress-policy.ts';

/**
 * One proxied connection, written to the audit log when it ends. `verdict`: allow (carried to its end),
 * deny (refused before anything was dialled), cut (allowed, then ended by a limit), error (allowed,
 * but the name did not resolve or the dial failed).
 */
export interface ConnectionEvent {
  event: 'network.connection';
  protocol: 'http' | 'connect' | 'socks5';
  host: string;
  port: number;
  /** The address dialled (or refused after resolution); absent when refused by name. */
  address?: string;
  verdict: 'allow' | 'deny' | 'cut' | 'error';
  rule?: NetworkRuleId;
  reason?: string;
  /** Bytes from the server to the remote host, and back. */
  bytesOut: number;
  bytesIn: number;
  durationMs: number;
}
