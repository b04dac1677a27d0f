import path from 'node:path';
import { WardenError } from '../errors.ts';
import { type EgressPolicy, type NetworkSettings, compileEgressPolicy } from './egress-policy.ts';
import { parseHostPattern } from './host-pattern.ts';

/** The profile's `network` value (see src/config/network-schema.ts). */
export type NetworkValue = boolean | NetworkSettings;

/** How a session reaches the network: not at all, unfiltered (host network), or through the proxy. */
export type EgressMode =
  | { kind: 'none' }
  | { kind: 'unfiltered' }
  | { kind: 'proxy'; settings: NetworkSettings; policy: EgressPolicy };

/** Defaults of a `network` object, for `--allow-host` on a profile whose network is false. */
export const NETWORK_DEFAULTS: NetworkSettings = {
  allow: [],
  deny: [],
  allowPrivate: false,
  maxConnections: 32,
  onDeny: 'deny',
  resolve: {},
};

/**
 * The session's egress from the profile's `network` and `--allow-host` values: `--allow-host` adds to
 * the allowlist, and turns `false` (and `true`, narrowing it) into a proxied allowlist. Throws
 * WardenError('usage') for a bad --allow-host, WardenError('config') for settings that do not compile.
 */
export function egressMode(network: NetworkValue, allowHosts: readonly string[]): EgressMode {
  for (const host of allowHosts) {
    const parsed = parseHostPattern(host);
    if (!parsed.ok) throw new WardenError('usage', `--allow-host ${parsed.error}`, { hint: parsed.hint });
  }
  if (allowHosts.length === 0 && network === false) return { kind: 'none' };
  if (allowHosts.length === 0 && network === true) return { kind: 'unfiltered' };
  const base = typeof network === 'object' ? network : NETWORK_DEFAULTS;
  const settings: NetworkSettings = { ...base, allow: [...base.allow, ...allowHosts] };
  const compiled = compileEgressPolicy(settings);
  if (!compiled.ok) {
    const first = compiled.errors[0]!;
    throw new WardenError('config', compiled.errors.map((e) => `${e.path}: ${e.error}`).join('\n'), {
      hint: first.hint,
    });
  }
  return { kind: 'proxy', settings, policy: compiled.policy };
}

/**
 * A fresh path for the session's proxy socket: a private directory under the temp dir (short: a unix
 * socket path is limited to 107 bytes). Nothing is created here; the proxy creates it when it listens.
 */
export function proxySocketPath(tempDir: string = process.getBuiltinModule('node:os').tmpdir()): string {
  return path.join(
    tempDir,
    `mcp-warden-net-${process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex')}`,
    'proxy.sock',
  );
}

/** The warning printed (stderr and explain) when the profile gives the unfiltered host network. */
export const UNFILTERED_WARNING =
  'WARNING: network: true gives the server the UNFILTERED host network: it can send anything it can read anywhere. List the hosts it needs instead: network: {"allow": [...]} or --allow-host HOST.';

/**
 * What `explain` prints about egress. `relay`: false for a sandbox that reaches the proxy without the
 * relay (the isolate's shims; with `loopback`, seatbelt's one loopback port).
 */
export function describeEgress(
  mode: EgressMode,
  socketPath: string | undefined,
  relay = true,
  loopback = false,
): Record<string, unknown> {
  if (mode.kind === 'none') return { mode: 'none', how: 'no network at all inside the sandbox' };
  if (mode.kind === 'unfiltered') return { mode: 'unfiltered', warning: UNFILTERED_WARNING };
  const { settings } = mode;
  return {
    mode: 'allowlist',
    allow: settings.allow,
    deny: settings.deny,
    allowPrivate: settings.allowPrivate,
    maxConnections: settings.maxConnections,
    ...(settings.maxBytesOut === undefined ? {} : { maxBytesOut: settings.maxBytesOut }),
    onDeny: settings.onDeny,
    resolve: settings.resolve,
    defaultPorts: 'an entry without :PORT allows 80 and 443 only',
    proxySocket: socketPath,
    how: relay
      ? RELAY_HOW
      : loopback
        ? LOOPBACK_HOW
        : "the isolate has no sockets at all: its fetch, http and https shims hand each request to the isolate's host process, which sends it only to the proxy's unix socket (plain HTTP in absolute form, HTTPS as CONNECT then TLS with the host as SNI); no proxy variables are set; names are resolved by the proxy after the allow decision, and the address dialled is checked against private, loopback, link-local and metadata ranges",
  };
}

/** How a Seatbelt sandbox reaches the proxy (explain): macOS has no network namespace for a relay. */
const LOOPBACK_HOW =
  'the sandbox shares the host\'s network stack (macOS has no network namespace), so the proxy also listens on the host\'s loopback, 127.0.0.1:PORT (a port the kernel picks when run starts the proxy), and the Seatbelt profile denies every network operation except one: network-outbound to (remote tcp "localhost:PORT"); no DNS (mDNSResponder stays closed), no UDP, no unix sockets, no listening. Any local process can reach 127.0.0.1, so the proxy serves only clients that present the session\'s credential: HTTP_PROXY, HTTPS_PROXY and ALL_PROXY=http://warden:CREDENTIAL@127.0.0.1:PORT (and lower case; the same port also speaks SOCKS5 with RFC 1929 username/password), NO_PROXY="" and NODE_USE_ENV_PROXY=1; a client without it gets 407. Names are resolved by the proxy after the allow decision, and the address dialled is checked against private, loopback, link-local and metadata ranges';

/** How a sandbox with the relay reaches the proxy (explain). */
const RELAY_HOW =
  'the sandbox has no network of its own (loopback only); a relay inside listens on 127.0.0.1 and forwards to the proxy\'s unix socket, mounted read-only; HTTP_PROXY, HTTPS_PROXY and ALL_PROXY=http://127.0.0.1:PORT (and lower case; the same port also speaks SOCKS5), NO_PROXY="" and NODE_USE_ENV_PROXY=1 point the server at it; names are resolved by the proxy after the allow decision, and the address dialled is checked against private, loopback, link-local and metadata ranges';
