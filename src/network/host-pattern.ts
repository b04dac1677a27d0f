import { type IpAddress, parseIpLiteral } from './ip-literal.ts';
import { PUBLIC_SUFFIXES } from './public-suffixes.ts';

/** Ports an entry without `:PORT` allows: plain HTTP and HTTPS. */
export const DEFAULT_PORTS: readonly number[] = [80, 443];

/**
 * One `network.allow`/`deny` entry, parsed. `name`: an exact host, or with `subdomains` every name
 * strictly below it (`*.x.com`: a.x.com, a.b.x.com, never x.com itself). `address`: an IP or CIDR.
 * `ports`: the ports it covers (DEFAULT_PORTS when the entry names none).
 */
export type HostPattern =
  | { kind: 'name'; text: string; name: string; subdomains: boolean; ports: readonly number[] }
  | { kind: 'address'; text: string; base: IpAddress; prefix: number; ports: readonly number[] };

export type PatternResult = { ok: true; pattern: HostPattern } | { ok: false; error: string; hint: string };

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/**
 * Pure: parse one host pattern (`api.github.com`, `*.githubusercontent.com`, `host:8443`,
 * `10.1.2.3`, `10.0.0.0/8`, `[fd00::1]:8443`). Refused, each with what to write instead: empty, bare
 * `*`, a wildcard anywhere but a leading `*.`, a wildcard over a public suffix (`*.com`, `*.co.uk`),
 * a scheme, a path, user info, an invalid port or name.
 */
export function parseHostPattern(input: string): PatternResult {
  const text = input.trim();
  const fail = (error: string, hint: string): PatternResult => ({
    ok: false,
    error: `"${input}": ${error}`,
    hint,
  });
  if (text === '') return fail('empty host pattern', 'write a host name such as api.github.com');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme) {
    const rest = text.slice(scheme[0].length).split(/[/?#]/)[0] ?? '';
    return fail('a host pattern has no scheme', `write the host only: ${rest || 'api.github.com'}`);
  }
  if (text.includes('@')) return fail('a host pattern has no user name or password', 'write the host only');
  if (/[?#\\\s]/.test(text))
    return fail('a host pattern has no query, fragment, backslash or space', 'write the host only');
  if (text === '*' || text === '*.*' || text === '*:*')
    return fail(
      '"*" would allow every host',
      'list the hosts the server needs, e.g. api.github.com; or use `network: true` for unfiltered egress (not recommended)',
    );

  const { host, port, error } = splitPort(text);
  if (error !== undefined)
    return fail(error, 'a port is a whole number from 1 to 65535, e.g. uploads.example.com:8443');
  const ports = port === undefined ? DEFAULT_PORTS : [port];

  const cidr = /^(.+)\/(\d{1,3})$/.exec(host);
  if (cidr?.[1] !== undefined && cidr[2] !== undefined) {
    const base = parseIpLiteral(cidr[1]);
    const prefix = Number(cidr[2]);
    if (!base) return fail('a host pattern has no path', `write the host only: ${host.split('/')[0]}`);
    if (prefix > (base.family === 4 ? 32 : 128))
      return fail(
        `prefix /${prefix} is too long for IPv${base.family}`,
        base.family === 4 ? 'use /0 to /32' : 'use /0 to /128',
      );
    if (prefix === 0) return fail('/0 would allow every address', 'name the hosts or a smaller network');
    return { ok: true, pattern: { kind: 'address', text, base, prefix, ports } };
  }
  if (host.includes('/'))
    return fail('a host pattern has no path', `write the host only: ${host.split('/')[0]}`);
  const ip = parseIpLiteral(host);
  if (ip)
    return {
      ok: true,
      pattern: { kind: 'address', text, base: ip, prefix: ip.family === 4 ? 32 : 128, ports },
    };
  if (host.startsWith('['))
    return fail('not a valid IPv6 address', 'write it as [2001:db8::1] or [2001:db8::1]:8443');

  const subdomains = host.startsWith('*.');
  const bare = subdomains ? host.slice(2) : host;
  if (bare.includes('*'))
    return fail(
      'a wildcard may only be a leading "*." (subdomains of a name)',
      'write *.example.com for every subdomain of example.com, or list the names',
    );
  const name = normalizeHostName(bare);
  if (name === undefined) return fail('not a valid host name', 'write a host name such as api.github.com');
  if (subdomains && (!name.includes('.') || PUBLIC_SUFFIXES.has(name)))
    return fail(
      `"*.${name}" covers a public suffix: every site under it`,
      `name the site: *.example.${name} or example.${name}`,
    );
  return { ok: true, pattern: { kind: 'name', text, name, subdomains, ports } };
}

/**
 * Pure: a host name as the proxy compares it: lower case, IDNA (punycode) ASCII form, one trailing dot
 * dropped. Undefined when it is not a valid DNS name (empty labels, bad characters, too long).
 */
export function normalizeHostName(host: string): string | undefined {
  let name = host.trim();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '' || name.length > 253) return undefined;
  const ascii = process.getBuiltinModule('node:url').domainToASCII(name.toLowerCase());
  if (ascii === '' || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  return labels.every((label) => LABEL.test(label)) ? ascii : undefined;
}

function splitPort(text: string): { host: string; port?: number; error?: string } {
  let host = text;
  let raw: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close > 0 && text[close + 1] === ':') {
      host = text.slice(0, close + 1);
      raw = text.slice(close + 2);
    }
  } else {
    const colons = text.split(':').length - 1;
    if (colons === 1) [host, raw] = text.split(':') as [string, string];
    // Two or more colons without brackets: an IPv6 address without a port.
  }
  if (raw === undefined) return { host };
  if (!/^\d{1,5}$/.test(raw)) return { host, error: `"${raw}" is not a port` };
  const port = Number(raw);
  if (port < 1 || port > 65535) return { host, error: `port ${port} is out of range` };
  return { host, port };
}
