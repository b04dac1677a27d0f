import { describe, expect, it } from 'vitest';
import { classifyAddress } from '../../../src/network/address-class.ts';
import { parseIpLiteral } from '../../../src/network/ip-literal.ts';

const ip = (text: string) => {
  const parsed = parseIpLiteral(text);
  if (!parsed) throw new Error(text);
  return parsed;
};

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['2130706433', 'loopback'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['0xa9fea9fe', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['64:ff9b::7f00:1', 'reserved'],
    ['2002:7f00:1::', 'reserved'],
    ['172.32.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
  ])('%s is %s', (text, expected) => {
    expect(classifyAddress(ip(text))).toBe(expected);
  });

  it("names the host's own public address `host`", () => {
    expect(classifyAddress(ip('8.8.4.4'), ['8.8.4.4'])).toBe('host');
  });
});
