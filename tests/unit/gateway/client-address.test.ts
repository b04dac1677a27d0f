import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ClientAddresses, parseProxyNetwork } from '../../../src/gateway/client-address.ts';
import { GatewayConfigSchema } from '../../../src/config/gateway-schema.ts';

const req = (peer: string | undefined, forwardedFor?: string | string[]): IncomingMessage =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

describe('client address behind trusted proxies', () => {
  const lb = new ClientAddresses(['10.0.0.0/8', 'fd00::/8']);

  it('is the peer when no proxy is trusted, whatever the header says', () => {
    expect(new ClientAddresses([]).of(req('192.0.2.1', '198.51.100.1'))).toBe('192.0.2.1');
  });

  it('is the peer when the peer is not a trusted proxy', () => {
    expect(lb.of(req('192.0.2.1', '198.51.100.1'))).toBe('192.0.2.1');
  });

  it('is the rightmost address that is not a trusted proxy', () => {
    expect(lb.of(req('10.1.1.1', '198.51.100.1'))).toBe('198.51.100.1');
    expect(lb.of(req('10.1.1.1', '203.0.113.9, 198.51.100.1, 10.2.2.2'))).toBe('198.51.100.1');
    expect(lb.of(req('10.1.1.1', ['203.0.113.9', '198.51.100.1']))).toBe('198.51.100.1');
    expect(lb.of(req('::ffff:10.1.1.1', '2001:db8::1'))).toBe('2001:db8::1');
  });

  it('stops at the last trusted hop when a hop is malformed or the header is empty', () => {
    expect(lb.of(req('10.1.1.1', 'evil, garbage"'))).toBe('10.1.1.1');
    expect(lb.of(req('10.1.1.1', '198.51.100.1, 10.2.2.2, junk'))).toBe('10.1.1.1');
    expect(lb.of(req('10.1.1.1'))).toBe('10.1.1.1');
    expect(lb.of(req('10.1.1.1', '10.2.2.2'))).toBe('10.2.2.2');
  });

  it('refuses entries that are not IP addresses or CIDRs, saying what to write', () => {
    for (const bad of ['lb.example', '10.0.0.0/33', '10.0.0.0/8/1', 'fd00::/129', '0x0a000001', ''])
      expect(parseProxyNetwork(bad)).toHaveProperty('error');
    expect(parseProxyNetwork('192.168.1.10')).toEqual({
      family: 'ipv4',
      address: '192.168.1.10',
      prefix: 32,
    });
    const parsed = GatewayConfigSchema.safeParse({
      servers: { s: { command: ['node', 'x.js'] } },
      trustedProxies: ['lb.example'],
    });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('is not an IP address or CIDR');
  });
});
