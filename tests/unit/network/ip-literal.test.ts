import { describe, expect, it } from 'vitest';
import { parseIpLiteral } from '../../../src/network/ip-literal.ts';

describe('parseIpLiteral', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['169.254.169.254', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['10.0.0.1.', '10.0.0.1'],
    ['[::ffff:127.0.0.1]', '127.0.0.1'],
    ['::ffff:7f00:1', '127.0.0.1'],
    ['[::FFFF:A9FE:A9FE]', '169.254.169.254'],
  ])('reads IPv4 spelling %s as %s', (text, address) => {
    expect(parseIpLiteral(text)).toEqual({ family: 4, address });
  });

  it.each([
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['FD00:EC2:0:0:0:0:0:254', 'fd00:ec2::254'],
    ['fe80:0000::1', 'fe80::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ])('canonicalises IPv6 %s as %s', (text, address) => {
    expect(parseIpLiteral(text)).toEqual({ family: 6, address });
  });

  it.each([
    'example.test',
    'api.github.com',
    '1.2.3.4.5',
    '256.0.0.1',
    '08.0.0.1',
    '0x1g.0.0.1',
    'fe80::1%eth0',
    '',
    '[127.0.0.1',
    '4294967296',
  ])('is not an IP literal: %s', (text) => {
    expect(parseIpLiteral(text)).toBeUndefined();
  });
});
