import { type AddressClass, classifyAddress, inCidr } from './address-class.ts';
import { type HostPattern, normalizeHostName, parseHostPattern } from './host-pattern.ts';
import { type IpAddress, parseIpLiteral } from './ip-literal.ts';

/** Rule ids of the egress proxy (src/policy/types.ts RuleId). */
export type NetworkRuleId =
  'network.host-not-allowed' | 'network.private-address' | 'network.sni-mismatch' | 'network.limit';

/** The profile's `network` object, as the schema gives it (see src/config/profile-schema.ts). */
export interface NetworkSettings {
  allow: readonly string[];
  deny: readonly string[];
  allowPrivate: boolean;
  maxConnections: number;
  maxBytesOut?: number | undefined;
  onDeny: 'deny' | 'kill';
  resolve: Readonly<Record<string, string>>;
}

/** A compiled egress policy: what the proxy decides with. Pure data. */
export interface EgressPolicy {
  allow: readonly HostPattern[];
  deny: readonly HostPattern[];
  allowPrivate: boolean;
  maxConnections: number;
  /** Undefined: no cap on bytes sent. */
  maxBytesOut: number | undefined;
  onDeny: 'deny' | 'kill';
  /** Normalised name → address, used instead of DNS (curl's --resolve). */
  resolve: ReadonlyMap<string, IpAddress>;
  /**
   * `mcp-warden learn --learn-network` only: every host passes the allowlist (deny entries and the
   * address checks still apply), so the proxy records what the server needs. Undefined/false: never.
   */
  anyHost?: boolean;
}

export type Decision = { allow: true } | { allow: false; rule: NetworkRuleId; reason: string };

/** A host the client asked for, normalised: a name, or an IP literal in canonical form. */
export type Target = { kind: 'name'; name: string } | { kind: 'address'; ip: IpAddress };

/**
 * Pure: compile validated settings. Throws nothing for settings the schema accepted; returns the
 * problems otherwise (the schema calls this too, so an error names its path).
 */
export function compileEgressPolicy(
  settings: NetworkSettings,
):
  | { ok: true; policy: EgressPolicy }
  | { ok: false; errors: Array<{ path: string; error: string; hint: string }> } {
  const errors: Array<{ path: string; error: string; hint: string }> = [];
  const parse = (list: readonly string[], key: string): HostPattern[] =>
    list.flatMap((entry, i) => {
      const result = parseHostPattern(entry);
      if (result.ok) return [result.pattern];
      errors.push({ path: `network.${key}[${i}]`, error: result.error, hint: result.hint });
      return [];
    });
  const allow = parse(settings.allow, 'allow');
  const deny = parse(settings.deny, 'deny');
  const resolve = new Map<string, IpAddress>();
  for (const [name, address] of Object.entries(settings.resolve)) {
    const key = normalizeHostName(name);
    const ip = parseIpLiteral(address);
    if (key === undefined || ip === undefined) {
      errors.push({
        path: `network.resolve.${name}`,
        error: `"${name}": "${address}" must map a host name to an IP address`,
        hint: 'write "api.example.test": "127.0.0.1"',
      });
      continue;
    }
    resolve.set(key, ip);
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    policy: {
      allow,
      deny,
      allowPrivate: settings.allowPrivate,
      maxConnections: settings.maxConnections,
      maxBytesOut: settings.maxBytesOut,
      onDeny: settings.onDeny,
      resolve,
    },
  };
}

/** Pure: the target a client named, or undefined when it is neither a valid name nor an IP literal. */
export function parseTarget(host: string): Target | undefined {
  const ip = parseIpLiteral(host);
  if (ip) return { kind: 'address', ip };
  const name = normalizeHostName(host);
  return name === undefined ? undefined : { kind: 'name', name };
}

/** Pure: does `pattern` cover `target` on `port`? */
export function patternMatches(pattern: HostPattern, target: Target, port: number): boolean {
  if (!pattern.ports.includes(port)) return false;
  if (pattern.kind === 'address')
    return target.kind === 'address' && inCidr(target.ip, pattern.base, pattern.prefix);
  if (target.kind !== 'name') return false;
  if (!pattern.subdomains) return target.name === pattern.name;
  return target.name.endsWith(`.${pattern.name}`);
}

/** Pure: may the client connect to `target:port` by name? Deny entries win over allow entries. */
export function decideTarget(policy: EgressPolicy, target: Target, port: number): Decision {
  const shown = targetText(target, port);
  const denied = policy.deny.find((p) => patternMatches(p, target, port));
  if (denied)
    return {
      allow: false,
      rule: 'network.host-not-allowed',
      reason: `${shown} is denied by network.deny "${denied.text}"`,
    };
  if (policy.anyHost === true || policy.allow.some((p) => patternMatches(p, target, port)))
    return { allow: true };
  const otherPort = policy.allow.some((p) => p.ports.some((q) => q !== port && patternMatches(p, target, q)));
  return {
    allow: false,
    rule: 'network.host-not-allowed',
    reason: otherPort
      ? `${shown}: the host is allowed, but not on port ${port}`
      : `${shown} is not in the network allowlist`,
  };
}

/**
 * Pure: may the proxy dial `ip` (the address the name resolved to, or the literal asked for)? Never
 * an address a deny entry covers; public addresses yes; loopback, private, link-local, the host's own and reserved ones only with
 * `allowPrivate` or an allow entry covering the address; cloud metadata only with such an entry.
 */
export function decideAddress(
  policy: EgressPolicy,
  ip: IpAddress,
  port: number,
  hostAddresses: readonly string[],
): Decision & { addressClass: AddressClass } {
  const addressClass = classifyAddress(ip, hostAddresses);
  // Deny wins for the address dialled too: a name that resolves to a denied address is refused.
  const denied = policy.deny.find(
    (p) => p.kind === 'address' && patternMatches(p, { kind: 'address', ip }, port),
  );
  if (denied)
    return {
      allow: false,
      addressClass,
      rule: 'network.host-not-allowed',
      reason: `${ip.address}, which network.deny "${denied.text}" names`,
    };
  if (addressClass === 'public') return { allow: true, addressClass };
  const explicit = policy.allow.some(
    (p) => p.kind === 'address' && patternMatches(p, { kind: 'address', ip }, port),
  );
  if (explicit || (policy.allowPrivate && addressClass !== 'metadata')) return { allow: true, addressClass };
  return {
    allow: false,
    addressClass,
    rule: 'network.private-address',
    reason: `${ip.address} is a ${addressClass} address`,
  };
}

/** `host:port` as shown in messages (IPv6 in brackets). */
export function targetText(target: Target, port: number): string {
  if (target.kind === 'name') return `${target.name}:${port}`;
  return target.ip.family === 6 ? `[${target.ip.address}]:${port}` : `${target.ip.address}:${port}`;
}

/** The `--allow-host` value that would allow `target:port`, for refusal messages. */
export function allowHint(target: Target, port: number): string {
  const host =
    target.kind === 'name'
      ? target.name
      : target.ip.family === 6
        ? `[${target.ip.address}]`
        : target.ip.address;
  return port === 80 || port === 443 ? host : `${host}:${port}`;
}
