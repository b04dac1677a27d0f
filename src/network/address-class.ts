import { BlockList } from 'node:net';
import type { IpAddress } from './ip-literal.ts';

/**
 * What an address reaches. Everything but `public` is refused after resolution unless the profile
 * allows it (`allowPrivate`, or an IP/CIDR allow entry); `metadata` only by an explicit entry.
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'host'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

/** Cloud instance-metadata endpoints (AWS/GCP/Azure/OpenStack, AWS IPv6, ECS task metadata, Alibaba). */
export const METADATA_ADDRESSES: readonly string[] = [
  '169.254.169.254',
  '169.254.170.2',
  'fd00:ec2::254',
  '100.100.100.200',
];

type Range = [
  address: string,
  prefix: number,
  family: 'ipv4' | 'ipv6',
  kind: Exclude<AddressClass, 'public' | 'host' | 'metadata'>,
];

const RANGES: readonly Range[] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'private'], // carrier-grade NAT: the provider's inside network
  ['192.0.0.0', 24, 'ipv4', 'reserved'],
  ['192.0.2.0', 24, 'ipv4', 'reserved'],
  ['198.18.0.0', 15, 'ipv4', 'reserved'],
  ['198.51.100.0', 24, 'ipv4', 'reserved'],
  ['203.0.113.0', 24, 'ipv4', 'reserved'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fc00::', 7, 'ipv6', 'private'],
  ['ff00::', 8, 'ipv6', 'multicast'],
  // NAT64, IPv4-compatible, documentation, 6to4 and Teredo embed or stand for IPv4 addresses that
  // would need their own check: refused like reserved space.
  ['64:ff9b::', 96, 'ipv6', 'reserved'],
  ['64:ff9b:1::', 48, 'ipv6', 'reserved'],
  ['::', 96, 'ipv6', 'reserved'],
  ['2001:db8::', 32, 'ipv6', 'reserved'],
  ['2002::', 16, 'ipv6', 'reserved'],
  ['2001::', 32, 'ipv6', 'reserved'],
];

const LISTS = new Map<Range[3], BlockList>();
for (const [address, prefix, family, kind] of RANGES) {
  let list = LISTS.get(kind);
  if (!list) LISTS.set(kind, (list = new BlockList()));
  list.addSubnet(address, prefix, family);
}
/** Most specific first: ::1 is loopback although ::/96 is reserved. */
const ORDER: ReadonlyArray<Range[3]> = [
  'loopback',
  'unspecified',
  'link-local',
  'private',
  'multicast',
  'reserved',
];

/**
 * Pure: the class of a canonical address (see parseIpLiteral). `hostAddresses` are the host's own
 * interface addresses (os.networkInterfaces()); an address among them is `host` even when public,
 * since a service bound there is the host's, not the internet's.
 */
export function classifyAddress(ip: IpAddress, hostAddresses: readonly string[] = []): AddressClass {
  if (METADATA_ADDRESSES.includes(ip.address)) return 'metadata';
  const family = ip.family === 4 ? 'ipv4' : 'ipv6';
  for (const kind of ORDER) if (LISTS.get(kind)?.check(ip.address, family)) return kind;
  if (hostAddresses.includes(ip.address)) return 'host';
  return 'public';
}

/** Pure: does `ip` lie in `base/prefix` (same family)? */
export function inCidr(ip: IpAddress, base: IpAddress, prefix: number): boolean {
  if (ip.family !== base.family) return false;
  const list = new BlockList();
  list.addSubnet(base.address, prefix, ip.family === 4 ? 'ipv4' : 'ipv6');
  return list.check(ip.address, ip.family === 4 ? 'ipv4' : 'ipv6');
}
