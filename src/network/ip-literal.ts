import { isIPv6 } from 'node:net';

/** An IP address in canonical text form: dotted quad for IPv4, compressed lower case for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  address: string;
}

/**
 * Pure: read `text` as an IP literal in any spelling a resolver or URL parser accepts, and return its
 * canonical form; undefined when it is not an IP literal (a host name). IPv4 follows inet_aton and the
 * WHATWG URL parser: one to four parts, each decimal, octal (leading 0) or hex (0x), the last part
 * filling the remaining bytes (`2130706433`, `0177.0.0.1`, `0x7f.1` are all 127.0.0.1). IPv6 may be
 * bracketed; an IPv4-mapped address (`::ffff:127.0.0.1`, `::ffff:7f00:1`) is returned as the IPv4
 * address it reaches, so no spelling slips past a check written for IPv4.
 */
export function parseIpLiteral(text: string): IpAddress | undefined {
  let host = text.trim().toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.endsWith('.') && !host.endsWith('..')) host = host.slice(0, -1);
  const v4 = parseIpv4(host);
  if (v4 !== undefined) return { family: 4, address: v4 };
  // A zone id (fe80::1%eth0) names an interface of the host: never a literal we accept.
  if (host.includes('%') || !isIPv6(host)) return undefined;
  const groups = ipv6Groups(host);
  if (groups === undefined) return undefined;
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) {
    const hi = groups[6] ?? 0;
    const lo = groups[7] ?? 0;
    return { family: 4, address: [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.') };
  }
  return { family: 6, address: formatIpv6(groups) };
}

/** The dotted quad of an IPv4 literal in any inet_aton spelling, or undefined. */
export function parseIpv4(host: string): string | undefined {
  if (host === '' || !/^[0-9a-fx.]+$/.test(host)) return undefined;
  const parts = host.split('.');
  if (parts.length > 4 || parts.some((p) => p === '')) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    const value = parsePart(part);
    if (value === undefined) return undefined;
    values.push(value);
  }
  const last = values.pop() ?? 0;
  if (values.some((v) => v > 255)) return undefined;
  const lastBytes = 4 - values.length;
  if (last >= 256 ** lastBytes) return undefined;
  const bytes = [...values];
  for (let i = lastBytes - 1; i >= 0; i--) bytes.push(Math.floor(last / 256 ** i) % 256);
  return bytes.join('.');
}

function parsePart(part: string): number | undefined {
  let digits = part;
  let radix = 10;
  if (/^0x/.test(part)) {
    digits = part.slice(2);
    radix = 16;
    if (digits === '') return 0;
  } else if (part.length > 1 && part.startsWith('0')) {
    digits = part.slice(1);
    radix = 8;
  }
  const pattern = radix === 16 ? /^[0-9a-f]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!pattern.test(digits)) return undefined;
  const value = Number.parseInt(digits, radix);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** The eight 16-bit groups of a valid IPv6 text (a trailing dotted quad included). */
export function ipv6Groups(host: string): number[] | undefined {
  let text = host;
  const tail: number[] = [];
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad?.[1] !== undefined) {
    const v4 = quad[1].split('.').map(Number);
    if (v4.some((b) => b > 255)) return undefined;
    tail.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    text = text.slice(0, -quad[1].length);
    text = text.endsWith('::') ? text : text.replace(/:$/, '');
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const read = (half: string | undefined): number[] =>
    half === undefined || half === '' ? [] : half.split(':').map((g) => Number.parseInt(g, 16));
  const head = read(halves[0]);
  const rest = [...read(halves[1]), ...tail];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined;
  const groups = [...head, ...Array<number>(missing).fill(0), ...rest];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** RFC 5952 text: lower case, leading zeros dropped, the longest run of two or more zero groups as `::`. */
export function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
