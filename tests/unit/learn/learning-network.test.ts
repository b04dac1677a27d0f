import { describe, expect, it } from 'vitest';
import { learningEgress, learningNetwork } from '../../../src/learn/learning-network.ts';
import { decideAddress, decideTarget, parseTarget } from '../../../src/network/egress-policy.ts';
import { egressMode } from '../../../src/network/egress-settings.ts';
import { parseIpLiteral } from '../../../src/network/ip-literal.ts';

const target = (host: string) =>
  parseTarget(host) ??
  (() => {
    throw new Error(host);
  })();

describe('--learn-network', () => {
  it('proxies egress even for a profile without network, and refuses the unfiltered network', () => {
    expect(egressMode(learningNetwork(false, 'p'), []).kind).toBe('proxy');
    expect(() => learningNetwork(true, 'p')).toThrow('learn cannot observe the hosts it reaches');
  });

  it('lets any host through the allowlist; deny entries and the private-address checks still hold', () => {
    const mode = learningEgress(
      egressMode(
        learningNetwork(
          {
            allow: [],
            deny: ['blocked.example.com'],
            allowPrivate: false,
            maxConnections: 32,
            onDeny: 'deny',
            resolve: {},
          },
          'p',
        ),
        [],
      ),
    );
    if (mode.kind !== 'proxy') throw new Error('not proxied');
    expect(decideTarget(mode.policy, target('anything.example.org'), 8443)).toEqual({ allow: true });
    expect(decideTarget(mode.policy, target('blocked.example.com'), 443)).toMatchObject({ allow: false });
    const loopback = parseIpLiteral('127.0.0.1');
    const metadata = parseIpLiteral('169.254.169.254');
    if (!loopback || !metadata) throw new Error('ip');
    expect(decideAddress(mode.policy, loopback, 80, [])).toMatchObject({
      allow: false,
      rule: 'network.private-address',
    });
    expect(decideAddress(mode.policy, metadata, 80, [])).toMatchObject({ allow: false });
  });

  it('is off unless asked for: the same settings without it refuse an unlisted host', () => {
    const mode = egressMode(learningNetwork(false, 'p'), []);
    if (mode.kind !== 'proxy') throw new Error('not proxied');
    expect(decideTarget(mode.policy, target('anything.example.org'), 443)).toMatchObject({
      allow: false,
      rule: 'network.host-not-allowed',
    });
  });
});
