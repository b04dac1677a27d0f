import {
  allowHint,
  decideAddress,
  decideTarget,
  type Decision,
  parseTarget,
  type Target,
  targetText,
} from './egress-policy.ts';
import { headerValues, type RequestHead, splitHostPort } from './http-head.ts';
import type { IpAddress } from './ip-literal.ts';
import type { ConnectionContext, Refusal } from './proxy-context.ts';

/**
 * The whole decision before anything is dialled: the name (allow/deny, ports), the connection cap,
 * then resolution (the profile's `resolve` map, else DNS) and the address class of every address.
 */
export async function checkAndResolve(
  target: Target,
  port: number,
  ctx: ConnectionContext,
): Promise<Refusal | { error: string } | { ip: IpAddress }> {
  const allow = allowHint(target, port);
  const byName: Decision = decideTarget(ctx.policy, target, port);
  if (!byName.allow) return { rule: byName.rule, reason: byName.reason, allow };
  if (ctx.active() > ctx.policy.maxConnections)
    return {
      rule: 'network.limit',
      reason: `more than ${ctx.policy.maxConnections} connections open at once`,
      allow,
    };
  let addresses: IpAddress[];
  if (target.kind === 'address') addresses = [target.ip];
  else {
    const mapped = ctx.policy.resolve.get(target.name);
    try {
      addresses = mapped ? [mapped] : await ctx.lookup(target.name);
    } catch {
      return { error: `${target.name} does not resolve` };
    }
    if (addresses.length === 0) return { error: `${target.name} does not resolve` };
  }
  // Every address must pass: a name answering with one public and one private address (rebinding
  // tricks) is refused rather than dialled at whichever the dialler would pick.
  for (const ip of addresses) {
    const byAddress = decideAddress(ctx.policy, ip, port, ctx.hostAddresses);
    if (!byAddress.allow) {
      const hint = allowHint({ kind: 'address', ip }, port);
      return {
        rule: byAddress.rule,
        reason: `${targetText(target, port)} resolves to ${byAddress.reason}`,
        allow: hint,
        address: ip.address,
      };
    }
  }
  return { ip: addresses[0]! };
}

/** The Host header must be present once and name the same host and port (no domain fronting). */
export function checkHostHeader(head: RequestHead, target: Target, port: number): Refusal | undefined {
  const allow = allowHint(target, port);
  const values = headerValues(head, 'host');
  if (values.length !== 1)
    return {
      rule: 'network.host-not-allowed',
      reason: 'the request must carry exactly one Host header',
      allow,
    };
  const split = splitHostPort(values[0]!, port === 443 ? 443 : 80);
  const named = split && parseTarget(split.host);
  if (named && split.port === port && hostText(named) === hostText(target)) return undefined;
  return {
    rule: 'network.host-not-allowed',
    reason: `the Host header ${JSON.stringify(values[0]!.slice(0, 100))} is not ${targetText(target, port)} (domain fronting)`,
    allow,
  };
}

/** The host as the audit and the refusals name it. */
export function hostText(target: Target): string {
  return target.kind === 'name' ? target.name : target.ip.address;
}
