import { describe, expect, it } from 'vitest';
import {
  type NetworkSettings,
  compileEgressPolicy,
  decideAddress,
  decideTarget,
  parseTarget,
} from '../../../src/network/egress-policy.ts';
import { parseIpLiteral } from '../../../src/network/ip-literal.ts';

function policy(settings: Partial<NetworkSettings>) {
  const compiled = compileEgressPolicy({
    allow: [],
    deny: [],
    allowPrivate: false,
    maxConnections: 32,
    onDeny: 'deny',
    resolve: {},
    ...settings,
  });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.policy;
}

function decide(p: ReturnType<typeof policy>, host: string, port: number) {
  const target = parseTarget(host);
  if (!target) throw new Error(host);
  return decideTarget(p, target, port);
}

describe('decideTarget', () => {
  const p = policy({ allow: ['api.example.test', '*.cdn.example.test', 'uploads.example.test:8443'] });

  it('allows an exact name on 80 and 443 only', () => {
    expect(decide(p, 'api.example.test', 443)).toEqual({ allow: true });
    expect(decide(p, 'api.example.test', 80)).toEqual({ allow: true });
    const other = decide(p, 'api.example.test', 8080);
    expect(other).toMatchObject({ allow: false, rule: 'network.host-not-allowed' });
    expect(other.allow ? '' : other.reason).toContain('not on port 8080');
  });

  it('ignores case and a trailing dot', () => {
    expect(decide(p, 'API.Example.Test.', 443)).toEqual({ allow: true });
  });

  it('does not match a name that merely starts with an allowed one', () => {
    expect(decide(p, 'api.example.test.evil.test', 443).allow).toBe(false);
    expect(decide(p, 'evilapi.example.test', 443).allow).toBe(false);
    expect(decide(p, 'api.example.testx', 443).allow).toBe(false);
  });

  it('matches *.x subdomains only, at any depth, never x itself', () => {
    expect(decide(p, 'a.cdn.example.test', 443).allow).toBe(true);
    expect(decide(p, 'a.b.cdn.example.test', 443).allow).toBe(true);
    expect(decide(p, 'cdn.example.test', 443).allow).toBe(false);
    expect(decide(p, 'xcdn.example.test', 443).allow).toBe(false);
  });

  it('keeps a named port to that port', () => {
    expect(decide(p, 'uploads.example.test', 8443).allow).toBe(true);
    expect(decide(p, 'uploads.example.test', 443).allow).toBe(false);
  });

  it('compares punycode, so a lookalike is a different host', () => {
    const idn = policy({ allow: ['bücher.example'] });
    expect(decide(idn, 'xn--bcher-kva.example', 443).allow).toBe(true);
    expect(decide(idn, 'BÜCHER.example', 443).allow).toBe(true);
    expect(decide(p, 'аpi.example.test', 443).allow).toBe(false); // Cyrillic "а"
  });

  it('lets deny win over allow', () => {
    const d = policy({ allow: ['*.example.test'], deny: ['secret.example.test'] });
    expect(decide(d, 'ok.example.test', 443).allow).toBe(true);
    expect(decide(d, 'secret.example.test', 443)).toMatchObject({
      allow: false,
      rule: 'network.host-not-allowed',
    });
  });

  it('matches IP entries against every spelling of the address, and names never against them', () => {
    const ips = policy({ allow: ['127.0.0.1:8080'] });
    for (const spelling of ['127.0.0.1', '2130706433', '0177.0.0.1', '0x7f.1', '[::ffff:127.0.0.1]'])
      expect(decide(ips, spelling, 8080).allow).toBe(true);
    expect(decide(ips, 'localhost', 8080).allow).toBe(false);
    expect(decide(p, '2130706433', 443).allow).toBe(false);
  });
});

describe('decideAddress', () => {
  const ip = (text: string) => parseIpLiteral(text)!;

  it('refuses loopback, private, link-local and metadata addresses by default', () => {
    const p = policy({ allow: ['api.example.test'] });
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '169.254.169.254',
      'fe80::1',
      'fd00:ec2::254',
      '::ffff:127.0.0.1',
    ])
      expect(decideAddress(p, ip(address), 443, [])).toMatchObject({
        allow: false,
        rule: 'network.private-address',
      });
    expect(decideAddress(p, ip('93.184.216.34'), 443, [])).toMatchObject({ allow: true });
  });

  it('allows private addresses with allowPrivate, but never metadata', () => {
    const p = policy({ allowPrivate: true });
    expect(decideAddress(p, ip('127.0.0.1'), 443, []).allow).toBe(true);
    expect(decideAddress(p, ip('10.0.0.1'), 443, []).allow).toBe(true);
    expect(decideAddress(p, ip('169.254.169.254'), 80, []).allow).toBe(false);
  });

  it('allows a private or metadata address covered by an explicit IP/CIDR entry on that port', () => {
    const p = policy({ allow: ['10.0.0.0/8:5432', '169.254.169.254'] });
    expect(decideAddress(p, ip('10.2.3.4'), 5432, []).allow).toBe(true);
    expect(decideAddress(p, ip('10.2.3.4'), 443, []).allow).toBe(false);
    expect(decideAddress(p, ip('169.254.169.254'), 80, []).allow).toBe(true);
  });

  it('refuses an address a deny entry covers, even when an allow entry covers it too (deny wins)', () => {
    const p = policy({
      allow: ['127.0.0.0/8:8080', '93.184.216.0/24'],
      deny: ['127.0.0.1:8080', '93.184.216.34'],
    });
    expect(decideAddress(p, ip('127.0.0.1'), 8080, [])).toMatchObject({
      allow: false,
      rule: 'network.host-not-allowed',
    });
    expect(decideAddress(p, ip('93.184.216.34'), 443, []).allow).toBe(false);
    expect(decideAddress(p, ip('127.0.0.3'), 8080, []).allow).toBe(true);
    expect(decideAddress(p, ip('127.0.0.1'), 8081, []).allow).toBe(false);
    expect(decideAddress(p, ip('93.184.216.35'), 443, []).allow).toBe(true);
  });

  it("refuses the host's own addresses", () => {
    const p = policy({});
    expect(decideAddress(p, ip('8.8.4.4'), 443, ['8.8.4.4'])).toMatchObject({
      allow: false,
      addressClass: 'host',
    });
  });
});

describe('compileEgressPolicy', () => {
  it('names the path of every bad entry', () => {
    const result = compileEgressPolicy({
      allow: ['ok.example.test', '*'],
      deny: ['https://x.example.test'],
      allowPrivate: false,
      maxConnections: 1,
      onDeny: 'deny',
      resolve: { 'a.test': 'not-an-ip' },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual([
      'network.allow[1]',
      'network.deny[0]',
      'network.resolve.a.test',
    ]);
  });
});
