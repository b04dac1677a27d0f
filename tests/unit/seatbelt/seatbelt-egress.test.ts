// Egress by allowlist on Seatbelt, through the generator on any OS: the profile denies every network
// operation and then allows exactly one, a TCP connection to the proxy's port on the loopback; no DNS,
// no other address, no listening. The SBPL reader (tests/helpers/sbpl-reader.ts) proves the profile
// well formed; assertProxyOnly is shown to fail on every way of widening the rule.
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../src/errors.ts';
import { withLoopbackEntry } from '../../../src/network/loopback-launch.ts';
import { applyEgress, planEgress } from '../../../src/network/prepare-egress.ts';
import { readBasePolicy } from '../../../src/sandboxes/seatbelt/base-policy.ts';
import { type SeatbeltDetails, planSeatbelt } from '../../../src/sandboxes/seatbelt/seatbelt-plan.ts';
import type { LaunchSpec, SandboxPlan } from '../../../src/sandboxes/types.ts';
import { type SExpr, readSbplProfile } from '../../helpers/sbpl-reader.ts';

const PORT = 49_731;
const CREDENTIAL = '0123456789abcdef0123456789abcdef';
const WORK_DIR = '/var/folders/xy/abc/T/mcp-warden-seatbelt-0123456789abcdef';

function baseSpec(): LaunchSpec {
  return {
    executable: '/usr/local/bin/node',
    args: ['/Users/me/srv/server.js'],
    env: { PATH: '/usr/bin:/bin', HTTP_PROXY: 'http://evil.example:3128' },
    roots: [{ path: '/Users/me/data', realPath: '/Users/me/data', readOnly: false }],
    readOnlyPaths: ['/Users/me/srv'],
    runtimePaths: ['/usr/local/Cellar/node/24.0.0/bin/node'],
    cwd: '/Users/me/data',
    limits: {},
    network: false,
  };
}

/** The spec as run builds it: planEgress/applyEgress for seatbelt, then (optionally) the proxy's entry. */
async function egressSpec(entry?: { port: number; credential: string }): Promise<LaunchSpec> {
  const spec = baseSpec();
  const egress = planEgress(false, ['api.example.test'], 'seatbelt', []);
  await applyEgress(spec, egress, '/nonexistent-cache');
  return entry === undefined ? spec : withLoopbackEntry(spec, entry);
}

const plan = (spec: LaunchSpec): SandboxPlan =>
  planSeatbelt(spec, { basePolicy: readBasePolicy(), home: '/Users/me', workDir: WORK_DIR });
const profileOf = (p: SandboxPlan): string => (p.details as unknown as SeatbeltDetails).profile;

const text = (e: SExpr): string => JSON.stringify(e);
const NETWORK_OPS = /^network/;
/** Services and paths through which a sandboxed process resolves names on macOS. */
const RESOLVER = /mDNSResponder|dnssd|SystemConfiguration|resolv\.conf|\/etc\/hosts/;

/**
 * Throws unless the profile's network is exactly: `(deny network*)` with no filter, followed by one
 * allow of network-outbound whose only filter is (remote tcp "localhost:PORT"), as the last rule; and
 * nothing reaches a resolver (mach-lookup or file) anywhere in the profile.
 */
function assertProxyOnly(profile: string, port: number): void {
  const { rules } = readSbplProfile(profile);
  const network = rules.filter((r) => r.operations.some((op) => NETWORK_OPS.test(op) || op === 'default'));
  const allows = network.filter((r) => r.action === 'allow');
  if (allows.length !== 1) throw new Error(`expected one network allow, found ${allows.length}`);
  const [allow] = allows as [(typeof allows)[number]];
  if (allow.index !== rules.length - 1) throw new Error('the network allow is not the last rule');
  if (allow.operations.join(' ') !== 'network-outbound')
    throw new Error(`the network allow names ${allow.operations.join(' ')}`);
  const expected = {
    kind: 'list',
    items: [
      { kind: 'symbol', name: 'remote' },
      { kind: 'symbol', name: 'tcp' },
      { kind: 'string', value: `localhost:${port}` },
    ],
  };
  const strip = (e: SExpr): unknown =>
    e.kind === 'list' ? { kind: 'list', items: e.items.map(strip) } : { ...e, offset: undefined };
  if (
    allow.filters.length !== 1 ||
    JSON.stringify(strip(allow.filters[0]!)) !== JSON.stringify(strip(expected as SExpr))
  )
    throw new Error(`the network allow's filters are ${allow.filters.map(text).join(' ')}`);
  const denyAll = network.find(
    (r) => r.action === 'deny' && r.operations.join(' ') === 'network*' && r.filters.length === 0,
  );
  if (!denyAll || denyAll.index >= allow.index) throw new Error('no (deny network*) before the allow');
  for (const r of rules) {
    if (r.action === 'allow' && RESOLVER.test(text({ kind: 'list', items: r.filters, offset: 0 })))
      throw new Error(`rule ${r.index} opens a resolver: ${r.filters.map(text).join(' ')}`);
  }
}

describe('seatbelt egress by allowlist: the profile', () => {
  it('denies every network operation, then allows one: TCP to the proxy port on the loopback', async () => {
    const profile = profileOf(plan(await egressSpec({ port: PORT, credential: CREDENTIAL })));
    assertProxyOnly(profile, PORT);
    expect(profile.trimEnd().split('\n').at(-1)).toBe(`  (remote tcp "localhost:${PORT}"))`);
    expect(profile).not.toContain('network-bind');
    expect(profile).not.toContain('network-inbound');
    expect(profile).not.toContain('(allow network*');
    expect(profile).not.toMatch(/mDNSResponder|com\.apple\.dnssd|DNSConfiguration/);
  });

  it.each([
    ['any port on the loopback', (p: string) => p.replace(`"localhost:${PORT}"`, '"localhost:*"')],
    ['the port on any host', (p: string) => p.replace(`"localhost:${PORT}"`, `"*:${PORT}"`)],
    ['UDP as well (remote ip)', (p: string) => p.replace('(remote tcp', '(remote ip')],
    ['another port', (p: string) => p.replace(`"localhost:${PORT}"`, `"localhost:${PORT + 1}"`)],
    [
      'a second filter',
      (p: string) =>
        p.replace(
          `(remote tcp "localhost:${PORT}")`,
          `(remote tcp "localhost:${PORT}")\n  (remote tcp "*:443")`,
        ),
    ],
    [
      'listening as well',
      (p: string) => p.replace('(allow network-outbound', '(allow network-outbound network-bind'),
    ],
    ['a blanket allow', (p: string) => `${p}(allow network*)\n`],
    [
      'a second allow before the deny',
      (p: string) =>
        p.replace('(deny network*)', '(allow network-outbound (remote tcp "*:53"))\n(deny network*)'),
    ],
    ['no deny at all', (p: string) => p.replace('(deny network*)', '')],
    [
      'DNS through mDNSResponder',
      (p: string) => `${p}(allow mach-lookup (global-name "com.apple.dnssd.service"))\n`,
    ],
    [
      'the resolver socket',
      (p: string) =>
        p.replace(
          '(deny network*)',
          '(deny network*)\n(allow network-outbound (literal "/private/var/run/mDNSResponder"))',
        ),
    ],
  ])('the check fails when the rule is widened: %s', async (_what, widen) => {
    const profile = profileOf(plan(await egressSpec({ port: PORT, credential: CREDENTIAL })));
    const widened = widen(profile);
    expect(widened).not.toBe(profile);
    readSbplProfile(widened); // still a well-formed profile: only the check can catch it
    expect(() => assertProxyOnly(widened, PORT)).toThrow();
  });

  it('before the proxy listens (explain) allows no network at all, and launch would refuse the plan', async () => {
    const p = plan(await egressSpec());
    const { rules } = readSbplProfile(profileOf(p));
    expect(
      rules.filter((r) => r.action === 'allow' && r.operations.some((op) => NETWORK_OPS.test(op))),
    ).toEqual([]);
    expect(rules.at(-1)).toMatchObject({ action: 'deny', operations: ['network*'], filters: [] });
    expect(profileOf(p)).toContain(';; (allow network-outbound (remote tcp "localhost:PORT")) goes here');
    expect((p.details as unknown as SeatbeltDetails).egress).toEqual({});
    expect(Object.keys(p.env).filter((k) => /proxy/i.test(k))).toEqual(['HTTP_PROXY']);
    expect(p.env.HTTP_PROXY).toBe('http://evil.example:3128'); // the caller's, untouched: nothing to point at yet
  });

  it('network off and network: true are unchanged by the egress code', () => {
    const off = readSbplProfile(profileOf(plan(baseSpec()))).rules;
    expect(off.at(-1)).toMatchObject({ action: 'deny', operations: ['network*'] });
    expect(
      off.filter((r) => r.action === 'allow' && r.operations.some((op) => NETWORK_OPS.test(op))),
    ).toEqual([]);
    const open = profileOf(plan({ ...baseSpec(), network: true }));
    expect(open).toContain('(remote ip "*:*")');
    expect(open).not.toContain('(deny network*)');
  });

  it('refuses a port that is not a TCP port (never writes it into the profile)', async () => {
    for (const port of [0, 65_536, 1.5, -1]) {
      let caught: unknown;
      try {
        plan(await egressSpec({ port, credential: CREDENTIAL }));
      } catch (error) {
        caught = error;
      }
      expect(caught, String(port)).toBeInstanceOf(WardenError);
      expect((caught as WardenError).code).toBe('internal');
    }
  });
});

describe('seatbelt egress by allowlist: the environment and the plan', () => {
  it("points every proxy variable at 127.0.0.1:PORT with the credential, replacing the caller's", async () => {
    const p = plan(await egressSpec({ port: PORT, credential: CREDENTIAL }));
    const url = `http://warden:${CREDENTIAL}@127.0.0.1:${PORT}`;
    expect(p.env).toMatchObject({
      HTTP_PROXY: url,
      HTTPS_PROXY: url,
      ALL_PROXY: url,
      http_proxy: url,
      https_proxy: url,
      all_proxy: url,
      NO_PROXY: '',
      no_proxy: '',
      NODE_USE_ENV_PROXY: '1',
      TMPDIR: `/private${WORK_DIR}/tmp`,
    });
    expect((p.details as unknown as SeatbeltDetails).egress).toEqual({ proxyPort: PORT });
    // The credential is in the environment only: never in argv, the profile or the -D parameters.
    expect(JSON.stringify([p.argv, p.details])).not.toContain(CREDENTIAL);
    expect(p.notes.join('\n')).toContain(`localhost:${PORT}`);
  });

  it("the port is the only difference between two sessions' profiles (no path or secret in the SBPL)", async () => {
    const a = profileOf(plan(await egressSpec({ port: PORT, credential: CREDENTIAL })));
    const b = profileOf(plan(await egressSpec({ port: 50_000, credential: 'f'.repeat(32) })));
    expect(a.replaceAll(String(PORT), '50000')).toBe(b);
  });
});
