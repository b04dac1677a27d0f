// Issue: a server allowed to reach some hosts (egress by allowlist, issue 16) tries to reach others:
// around the proxy (raw sockets, UDP, DNS), or through it by every trick a filtering proxy can fall for
// (hosts not allowed over CONNECT, SOCKS5 and plain HTTP; Host-header fronting; pipelined and smuggled
// requests; an SNI naming another host; IP literals in every spelling; names that resolve to loopback,
// private or metadata addresses; suffix, case, trailing-dot and punycode confusions; allowed names on
// other ports; the session's connection and byte caps).
// Fix: the sandbox's only way out is the warden's per-session proxy (src/network), which decides by
// normalised name and port, then by the address it dials, checks SNI and Host, refuses ambiguous
// request framing, and forwards one request per plain-HTTP connection.
// Every target lives in the network lab (tests/attacks/network/lab.mjs), which counts what reaches it:
// "contained" means the targets received nothing the allowlist does not allow. Controls show the
// allowed hosts ARE reached through the same session.
import {
  badRequest,
  nothingReached,
  onlyHost,
  reached,
  refusedBy,
  socksRefused,
  takeBaseline,
} from '../network/checks.ts';
import type { LabPorts } from '../network/lab.ts';
import { absolute, connectThen, get, smuggled, socks, toProxy } from '../network/requests.ts';
import type { AttackCase, AttackContext, Check, Layer } from '../types.ts';

type Result = Record<string, unknown>;

const RAW_VEHICLE =
  'an isolate has no sockets: its fetch/http shims build each request host-side and send it through the same proxy (the fetch and http.request cases exercise them)';

/** The backend refused the network session's allowlist: the feature is missing there, not contained. */
export function egressPending(ctx: AttackContext): string | undefined {
  const error = ctx.net?.sessionError;
  const missing = error && /not supported on the \w+ backend/.exec(error);
  return missing ? `egress by allowlist is not available on ${ctx.backend} yet (${missing[0]})` : undefined;
}

function ports(ctx: AttackContext): LabPorts {
  if (!ctx.net) throw new Error('the network lab did not start (see the stderr of the test run)');
  return ctx.net.lab.ports;
}

/** A case run by the hostile fixture in the shared network session (the allowlist of network/session.ts). */
function netProbe(
  id: string,
  title: string,
  layer: Layer,
  build: (p: LabPorts, ctx: AttackContext) => Result,
  what: string,
  check: Check<Result>,
  extra: Partial<AttackCase> = {},
): AttackCase {
  return {
    id: `network.${id}`,
    family: 'network',
    title,
    layer,
    action: {
      kind: 'probe',
      session: 'network',
      probe: async (ctx) => {
        const request = build(ports(ctx), ctx);
        await takeBaseline(ctx);
        return request;
      },
    },
    expect: { kind: 'contained', what, check },
    pending: egressPending,
    ...extra,
  };
}

const rawOnly = { notApplicable: { isolate: RAW_VEHICLE } };
const needsNamespace = (ctx: AttackContext): string | undefined => ctx.net?.lab.noNamespace;
const needsIpv6 = (ctx: AttackContext): string | undefined =>
  ctx.net?.lab.ports.ipv6 === false ? 'no IPv6 loopback on this host' : undefined;
const needsCa = (ctx: AttackContext): string | undefined =>
  ctx.net?.caFile ? undefined : 'no openssl here to make the test CA';

/** The probe failed (no socket, no route, no resolver) and nothing was reached. */
const failedAndUnreached: Check<Result> = nothingReached((r) =>
  r.ok === false ? undefined : `the probe succeeded: ${JSON.stringify(r).slice(0, 200)}`,
);

/** Refused by `rule` (403 from the proxy) and nothing reached. */
const refused = (rule: string): Check<Result> => nothingReached(refusedBy(rule));

const HOST_NOT_ALLOWED = 'network.host-not-allowed';
const PRIVATE = 'network.private-address';

// ---- around the proxy: the sandbox has no network of its own (OS layer) ----
const BYPASS: AttackCase[] = [
  netProbe(
    'raw-tcp-allowed-origin',
    'a raw TCP connect straight to the allowed origin’s address (not through the proxy)',
    'os',
    (p) => ({ op: 'tcp', host: '127.0.0.2', port: p.originPort }),
    'no route: the sandbox’s loopback is its own; only the relay leads out',
    failedAndUnreached,
  ),
  netProbe(
    'raw-tcp-loopback',
    'a raw TCP connect to 127.0.0.1',
    'os',
    (p) => ({ op: 'tcp', host: '127.0.0.1', port: p.forbiddenPort }),
    'ECONNREFUSED inside; the host listener sees nothing',
    failedAndUnreached,
  ),
  netProbe(
    'raw-tcp6-loopback',
    'a raw TCP connect to ::1',
    'os',
    (p) => ({ op: 'tcp', host: '::1', port: p.forbiddenPort }),
    'unreachable',
    failedAndUnreached,
    { requires: needsIpv6 },
  ),
  netProbe(
    'raw-tcp-metadata',
    'a raw TCP connect to the cloud metadata address 169.254.169.254',
    'os',
    (p) => ({ op: 'tcp', host: '169.254.169.254', port: p.forbiddenPort }),
    'no route',
    failedAndUnreached,
    { requires: needsNamespace },
  ),
  netProbe(
    'raw-tcp-private',
    'a raw TCP connect to a private address (10.0.0.1)',
    'os',
    (p) => ({ op: 'tcp', host: '10.0.0.1', port: p.forbiddenPort }),
    'no route',
    failedAndUnreached,
    { requires: needsNamespace },
  ),
  netProbe(
    'udp',
    'a UDP datagram to the host',
    'os',
    (p) => ({ op: 'udp', host: '127.0.0.1', port: p.udpPort }),
    'nothing arrives',
    nothingReached(),
  ),
  netProbe(
    'dns-lookup',
    'a DNS lookup (getaddrinfo) of an allowed name inside the sandbox',
    'os',
    () => ({ op: 'dns', name: 'api.example.test' }),
    'EAI_AGAIN/ENOTFOUND: no resolver inside; names are resolved by the proxy after the allow decision',
    failedAndUnreached,
  ),
  netProbe(
    'dns-query',
    'a DNS query sent straight to a resolver on the host',
    'os',
    (p) => ({ op: 'dnsQuery', server: `127.0.0.1:${p.udpPort}`, name: 'api.example.test' }),
    'the query never arrives',
    failedAndUnreached,
  ),
];

// ---- through the proxy: hosts not allowed ----
const NOT_ALLOWED: AttackCase[] = [
  netProbe(
    'connect-not-allowed',
    'CONNECT to a host not in the allowlist (it resolves to the origin)',
    'policy',
    (p) =>
      connectThen(`evil.example.test:${p.originPort}`, get('/connect', `evil.example.test:${p.originPort}`)),
    '403 network.host-not-allowed; the origin gets nothing',
    refused(HOST_NOT_ALLOWED),
    rawOnly,
  ),
  netProbe(
    'http-not-allowed',
    'a plain-HTTP proxy request for a host not in the allowlist',
    'policy',
    (p) =>
      toProxy([
        absolute(`http://evil.example.test:${p.originPort}/plain`, `evil.example.test:${p.originPort}`),
      ]),
    '403 network.host-not-allowed',
    refused(HOST_NOT_ALLOWED),
    rawOnly,
  ),
  netProbe(
    'socks-not-allowed',
    'SOCKS5 CONNECT to a name not in the allowlist',
    'policy',
    (p) => socks({ name: 'evil.example.test' }, p.originPort),
    'SOCKS5 reply 2 (not allowed by ruleset)',
    nothingReached(socksRefused),
    rawOnly,
  ),
  netProbe(
    'socks-ip-loopback',
    'SOCKS5 CONNECT to 127.0.0.1 by address',
    'policy',
    (p) => socks({ ipv4: [127, 0, 0, 1] }, p.forbiddenPort),
    'SOCKS5 reply 2',
    nothingReached(socksRefused),
    rawOnly,
  ),
  netProbe(
    'connect-loopback-ip',
    'CONNECT 127.0.0.1:PORT (an IP the allowlist does not name)',
    'policy',
    (p) => connectThen(`127.0.0.1:${p.forbiddenPort}`, get('/refused', `127.0.0.1:${p.forbiddenPort}`)),
    '403 network.host-not-allowed',
    refused(HOST_NOT_ALLOWED),
    rawOnly,
  ),
  netProbe(
    'fetch-not-allowed',
    'fetch() of a host not in the allowlist, as an API connector would',
    'policy',
    (p) => ({ op: 'fetch', url: `http://evil.example.test:${p.originPort}/fetch` }),
    '403 whose body says --allow-host evil.example.test:PORT',
    nothingReached((r) =>
      r.status === 403 && String(r.text).includes('--allow-host evil.example.test:')
        ? undefined
        : `no 403 with the hint: ${JSON.stringify(r).slice(0, 300)}`,
    ),
  ),
  netProbe(
    'fetch-https-not-allowed',
    'fetch() of an https:// URL on a host not in the allowlist',
    'policy',
    (p) => ({ op: 'fetch', url: `https://evil.example.test:${p.tlsPort}/fetch` }),
    'the tunnel is refused; the TLS origin gets no connection',
    nothingReached((r) =>
      r.ok === false || r.status === 403 ? undefined : `fetched: ${JSON.stringify(r).slice(0, 200)}`,
    ),
  ),
  netProbe(
    'http-request-not-allowed',
    'http.request() of a host not in the allowlist',
    'policy',
    (p) => ({ op: 'httpRequest', url: `http://evil.example.test:${p.originPort}/http-request` }),
    '403 (or no route at all)',
    nothingReached((r) =>
      r.ok === false || r.status === 403 ? undefined : `answered: ${JSON.stringify(r).slice(0, 200)}`,
    ),
  ),
  netProbe(
    'suffix-confusion',
    '`api.example.test.evil.test` is not `api.example.test`',
    'policy',
    (p) =>
      connectThen(
        `api.example.test.evil.test:${p.originPort}`,
        get('/suffix', `api.example.test.evil.test:${p.originPort}`),
      ),
    '403 network.host-not-allowed',
    refused(HOST_NOT_ALLOWED),
    rawOnly,
  ),
  netProbe(
    'punycode-lookalike',
    'a lookalike with a Cyrillic "а" (fetch sends its punycode form)',
    'policy',
    (p) => ({ op: 'fetch', url: `http://\u0430pi.example.test:${p.originPort}/lookalike` }),
    '403: xn--pi-6kc.example.test is another name',
    nothingReached((r) => (r.status === 403 ? undefined : `not refused: ${JSON.stringify(r).slice(0, 200)}`)),
  ),
  netProbe(
    'punycode-connect',
    'CONNECT to the lookalike’s punycode name',
    'policy',
    (p) =>
      connectThen(
        `xn--pi-6kc.example.test:${p.originPort}`,
        get('/lookalike', `xn--pi-6kc.example.test:${p.originPort}`),
      ),
    '403 network.host-not-allowed',
    refused(HOST_NOT_ALLOWED),
    rawOnly,
  ),
  netProbe(
    'wildcard-apex',
    '`*.wild.example.test` does not cover `wild.example.test` itself',
    'policy',
    (p) =>
      connectThen(`wild.example.test:${p.originPort}`, get('/apex', `wild.example.test:${p.originPort}`)),
    '403 network.host-not-allowed',
    refused(HOST_NOT_ALLOWED),
    rawOnly,
  ),
  netProbe(
    'deny-upper-case',
    'a denied name in upper case (deny wins over the wildcard allow)',
    'policy',
    (p) =>
      connectThen(
        `BLOCKED.WILD.EXAMPLE.TEST:${p.originPort}`,
        get('/upper', `BLOCKED.WILD.EXAMPLE.TEST:${p.originPort}`),
      ),
    '403: names are compared lower-cased',
    refused(HOST_NOT_ALLOWED),
    rawOnly,
  ),
  netProbe(
    'deny-trailing-dot',
    'a denied name with a trailing dot',
    'policy',
    (p) =>
      connectThen(
        `blocked.wild.example.test.:${p.originPort}`,
        get('/dot', `blocked.wild.example.test.:${p.originPort}`),
      ),
    '403: one trailing dot is dropped before matching',
    refused(HOST_NOT_ALLOWED),
    rawOnly,
  ),
  netProbe(
    'deny-fullwidth',
    'a denied name spelled with a fullwidth letter (IDNA maps it back)',
    'policy',
    (p) => ({ op: 'fetch', url: `http://\uff42locked.wild.example.test:${p.originPort}/fullwidth` }),
    '403: the IDNA form is the denied name',
    nothingReached((r) => (r.status === 403 ? undefined : `not refused: ${JSON.stringify(r).slice(0, 200)}`)),
  ),
  netProbe(
    'other-port',
    'an allowed name on a port its entry does not name',
    'policy',
    (p) =>
      connectThen(
        `api.example.test:${p.forbiddenPort}`,
        get('/refused', `api.example.test:${p.forbiddenPort}`),
      ),
    '403 "the host is allowed, but not on port …"',
    refused('not on port'),
    rawOnly,
  ),
  netProbe(
    'userinfo-confusion',
    'an absolute URL with user info naming the allowed host before the real one',
    'policy',
    (p) =>
      toProxy([
        absolute(
          `http://api.example.test:${p.originPort}@evil.example.test:${p.originPort}/userinfo`,
          `evil.example.test:${p.originPort}`,
        ),
      ]),
    '400: user info in the URL is refused',
    nothingReached(badRequest),
    rawOnly,
  ),
];

// ---- names that resolve to loopback, private or metadata addresses (allowed by name) ----
const PRIVATE_CASES: AttackCase[] = [
  netProbe(
    'name-to-loopback',
    'an allowed name that resolves to 127.0.0.1',
    'policy',
    (p) =>
      connectThen(
        `internal.example.test:${p.forbiddenPort}`,
        get('/refused', `internal.example.test:${p.forbiddenPort}`),
      ),
    '403 network.private-address (allowPrivate is off)',
    refused(PRIVATE),
    rawOnly,
  ),
  netProbe(
    'name-to-metadata',
    'an allowed name that resolves to 169.254.169.254 (cloud metadata)',
    'policy',
    (p) =>
      connectThen(
        `metadata.example.test:${p.forbiddenPort}`,
        get('/latest/meta-data/', 'metadata.example.test'),
      ),
    '403 network.private-address',
    refused(PRIVATE),
    { ...rawOnly, requires: needsNamespace },
  ),
  netProbe(
    'name-to-private',
    'an allowed name that resolves to 10.0.0.1',
    'policy',
    (p) =>
      connectThen(
        `ten.example.test:${p.forbiddenPort}`,
        get('/refused', `ten.example.test:${p.forbiddenPort}`),
      ),
    '403 network.private-address',
    refused(PRIVATE),
    { ...rawOnly, requires: needsNamespace },
  ),
  netProbe(
    'name-to-denied-address',
    'an allowed name that resolves to an address a deny entry names',
    'policy',
    (p) =>
      connectThen(
        `denied-address.example.test:${p.spelledPort}`,
        get('/refused', `denied-address.example.test:${p.spelledPort}`),
      ),
    '403: deny entries apply to the address dialled too',
    refused('network.'),
    rawOnly,
  ),
];

// ---- IP literals in every spelling: each is 127.0.0.1 (or ::1), which a deny entry names ----
const SPELLINGS: Array<[string, string]> = [
  ['decimal', '2130706433'],
  ['octal', '0177.0.0.1'],
  ['hex', '0x7f000001'],
  ['hex-dotted', '0x7f.0.0.1'],
  ['short', '127.1'],
  ['octal-short', '0177.1'],
  ['trailing-dot', '127.0.0.1.'],
  ['mapped-v6', '[::ffff:127.0.0.1]'],
  ['mapped-v6-hex', '[::ffff:7f00:1]'],
  ['v6-long', '[0:0:0:0:0:0:0:1]'],
];
const SPELLING_CASES: AttackCase[] = [
  ...SPELLINGS.map(([name, spelling]) =>
    netProbe(
      `ip-${name}`,
      `CONNECT ${spelling} (the loopback address in another spelling)`,
      'policy',
      (p) => connectThen(`${spelling}:${p.spelledPort}`, get('/refused', `${spelling}:${p.spelledPort}`)),
      '403: normalised before matching, the deny entry for 127.0.0.1 / [::1] applies',
      refused(HOST_NOT_ALLOWED),
      rawOnly,
    ),
  ),
  netProbe(
    'ip-decimal-http',
    'a plain-HTTP request to http://2130706433:PORT/',
    'policy',
    (p) => toProxy([absolute(`http://2130706433:${p.spelledPort}/`, `2130706433:${p.spelledPort}`)]),
    '403',
    refused(HOST_NOT_ALLOWED),
    rawOnly,
  ),
  netProbe(
    'ip-decimal-socks',
    'SOCKS5 with the decimal spelling as a host name (ATYP 3)',
    'policy',
    (p) => socks({ name: '2130706433' }, p.spelledPort),
    'SOCKS5 reply 2',
    nothingReached(socksRefused),
    rawOnly,
  ),
  netProbe(
    'control-ip-allowed',
    'control: CONNECT 127.0.0.3 on the same port (allowed by 127.0.0.0/8) IS reached',
    'policy',
    (p) => connectThen(`127.0.0.3:${p.spelledPort}`, 'hello\n'),
    'control: the lab’s 127.0.0.3 listener gets the connection',
    reached((reach) =>
      reach.moved.some((line) => line.startsWith('127.0.0.3:'))
        ? undefined
        : `not reached: ${reach.moved.join('; ')}`,
    ),
    rawOnly,
  ),
];

// ---- fronting, pipelining and smuggling ----
const FRONTING: AttackCase[] = [
  netProbe(
    'host-fronting-plain',
    'plain HTTP to the allowed host with `Host: evil.example.test`',
    'policy',
    (p) =>
      toProxy([
        absolute(`http://api.example.test:${p.originPort}/front`, `evil.example.test:${p.originPort}`),
      ]),
    '403: the Host header must name the host asked for',
    refused(HOST_NOT_ALLOWED),
    rawOnly,
  ),
  netProbe(
    'host-fronting-duplicate',
    'plain HTTP with two Host headers (the allowed one first)',
    'policy',
    (p) =>
      toProxy([
        absolute(
          `http://api.example.test:${p.originPort}/dup`,
          `api.example.test:${p.originPort}`,
          `Host: evil.example.test\r\n`,
        ),
      ]),
    '403: exactly one Host header',
    refused(HOST_NOT_ALLOWED),
    rawOnly,
  ),
  netProbe(
    'host-fronting-tunnel',
    'CONNECT to the allowed host, then a plain request with `Host: evil.example.test` inside',
    'policy',
    (p) => connectThen(`api.example.test:${p.originPort}`, get('/front-tunnel', 'evil.example.test')),
    'the tunnel is closed (network.sni-mismatch); the origin gets nothing',
    nothingReached(),
    rawOnly,
  ),
  netProbe(
    'host-fronting-fetch',
    'fetch() of the allowed host with a Host header of its own',
    'policy',
    (p) => ({
      op: 'fetch',
      url: `http://api.example.test:${p.originPort}/front-fetch`,
      headers: { host: 'evil.example.test' },
    }),
    'no request for evil.example.test reaches the origin',
    onlyHost('api.example.test', 1),
  ),
  netProbe(
    'host-fronting-http-request',
    'http.request() of the allowed host with `Host: evil.example.test`',
    'policy',
    (p) => ({
      op: 'httpRequest',
      url: `http://api.example.test:${p.originPort}/front-http`,
      headers: { Host: 'evil.example.test' },
    }),
    'no request for evil.example.test reaches the origin',
    onlyHost('api.example.test', 1),
  ),
  netProbe(
    'pipelined-plain',
    'plain HTTP: an allowed request with a second one for evil.example.test pipelined behind it',
    'policy',
    (p) =>
      toProxy([
        absolute(`http://api.example.test:${p.originPort}/first`, `api.example.test:${p.originPort}`) +
          get('/second', 'evil.example.test'),
      ]),
    'the proxy forwards one request per connection: the origin never sees the second',
    onlyHost('api.example.test', 1),
    rawOnly,
  ),
  netProbe(
    'pipelined-tunnel',
    'CONNECT to the allowed host, an allowed request, then a second for evil.example.test in the tunnel',
    'policy',
    (p) =>
      connectThen(
        `api.example.test:${p.originPort}`,
        get('/first', `api.example.test:${p.originPort}`) + get('/second', 'evil.example.test'),
      ),
    'every request in a plain-HTTP tunnel is checked: the second is refused',
    onlyHost('api.example.test', 1),
    rawOnly,
  ),
  netProbe(
    'smuggle-cl-te',
    'plain HTTP with Content-Length and Transfer-Encoding both (a request smuggled in the body)',
    'policy',
    (p) => {
      const body = smuggled('evil.example.test');
      return toProxy([
        `POST http://api.example.test:${p.originPort}/cl-te HTTP/1.1\r\nHost: api.example.test:${p.originPort}\r\n` +
          `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
      ]);
    },
    '400: ambiguous framing is refused; the origin gets nothing',
    nothingReached(badRequest),
    rawOnly,
  ),
  netProbe(
    'smuggle-duplicate-cl',
    'plain HTTP with two different Content-Length headers',
    'policy',
    (p) => {
      const body = `x${get('/smuggled', 'evil.example.test')}`;
      return toProxy([
        `POST http://api.example.test:${p.originPort}/dup-cl HTTP/1.1\r\nHost: api.example.test:${p.originPort}\r\n` +
          `Content-Length: 1\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ]);
    },
    '400',
    nothingReached(badRequest),
    rawOnly,
  ),
  netProbe(
    'smuggle-te-duplicate',
    'plain HTTP with two Transfer-Encoding headers',
    'policy',
    (p) =>
      toProxy([
        `POST http://api.example.test:${p.originPort}/dup-te HTTP/1.1\r\nHost: api.example.test:${p.originPort}\r\n` +
          `Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n${smuggled('evil.example.test')}`,
      ]),
    '400',
    nothingReached(badRequest),
    rawOnly,
  ),
  netProbe(
    'smuggle-cl-te-tunnel',
    'CONNECT to the allowed host, then Content-Length + Transfer-Encoding inside the tunnel',
    'policy',
    (p) => {
      const body = smuggled('evil.example.test');
      return connectThen(
        `api.example.test:${p.originPort}`,
        `POST /cl-te HTTP/1.1\r\nHost: api.example.test:${p.originPort}\r\nContent-Length: ${body.length}\r\n` +
          `Transfer-Encoding: chunked\r\n\r\n${body}`,
      );
    },
    'the tunnel is closed; the origin gets nothing',
    nothingReached(),
    rawOnly,
  ),
];

// ---- TLS server name ----
const TLS: AttackCase[] = [
  netProbe(
    'sni-mismatch',
    'CONNECT to the allowed host, then a TLS ClientHello naming evil.example.test',
    'policy',
    (p, ctx) => ({
      op: 'tlsViaConnect',
      connectHost: `api.example.test:${p.tlsPort}`,
      servername: 'evil.example.test',
      ca: ctx.net?.caFile,
    }),
    'the tunnel is closed at the ClientHello (network.sni-mismatch); the TLS origin gets no connection',
    nothingReached((r) =>
      r.secured === true ? `the TLS handshake completed: ${JSON.stringify(r).slice(0, 200)}` : undefined,
    ),
    { ...rawOnly, requires: needsCa },
  ),
  netProbe(
    'sni-missing',
    'CONNECT to the allowed host, then a ClientHello without a server name',
    'policy',
    (p, ctx) => ({
      op: 'tlsViaConnect',
      connectHost: `api.example.test:${p.tlsPort}`,
      servername: '',
      ca: ctx.net?.caFile,
    }),
    'closed at the ClientHello',
    nothingReached((r) =>
      r.secured === true ? `the TLS handshake completed: ${JSON.stringify(r).slice(0, 200)}` : undefined,
    ),
    { ...rawOnly, requires: needsCa },
  ),
  netProbe(
    'sni-on-ip-connect',
    'CONNECT to an allowed IP, then a ClientHello naming a host',
    'policy',
    (p, ctx) => ({
      op: 'tlsViaConnect',
      connectHost: `127.0.0.2:${p.tlsPort}`,
      servername: 'evil.example.test',
      ca: ctx.net?.caFile,
    }),
    'closed: a tunnel to an address carries no server name',
    nothingReached((r) =>
      r.secured === true ? `the TLS handshake completed: ${JSON.stringify(r).slice(0, 200)}` : undefined,
    ),
    { ...rawOnly, requires: needsCa },
  ),
];

// ---- controls: the allowed paths work in the same session ----
const CONTROLS: AttackCase[] = [
  netProbe(
    'control-fetch-allowed',
    'control: fetch() of the allowed host IS answered by the origin',
    'policy',
    (p) => ({ op: 'fetch', url: `http://api.example.test:${p.originPort}/control` }),
    'control: 200 from the origin, one request for api.example.test',
    reached((reach, r) =>
      r.status === 200 && reach.originRequests.some((q) => q.path === '/control')
        ? undefined
        : `the allowed host was not reached: ${JSON.stringify(r).slice(0, 200)}`,
    ),
  ),
  netProbe(
    'control-https-allowed',
    'control: fetch() of the allowed host over https (CONNECT, SNI = the name) IS answered',
    'policy',
    (p) => ({ op: 'fetch', url: `https://api.example.test:${p.tlsPort}/control-tls` }),
    'control: 200 from the TLS origin',
    reached((reach, r) =>
      r.status === 200 && reach.tlsRequests.some((q) => q.path === '/control-tls')
        ? undefined
        : `the allowed TLS host was not reached: ${JSON.stringify(r).slice(0, 200)}`,
    ),
    { requires: needsCa },
  ),
  netProbe(
    'control-case-and-dot',
    'control: the allowed wildcard name in upper case with a trailing dot IS the same name',
    'policy',
    (p) =>
      connectThen(
        `OK.WILD.EXAMPLE.TEST.:${p.originPort}`,
        get('/case', `OK.WILD.EXAMPLE.TEST.:${p.originPort}`),
      ),
    'control: the origin answers',
    reached((reach) =>
      reach.originRequests.some((q) => q.path === '/case')
        ? undefined
        : `not reached: ${reach.moved.join('; ')}`,
    ),
    rawOnly,
  ),
];

export const NETWORK_CASES: AttackCase[] = [
  ...BYPASS,
  ...NOT_ALLOWED,
  ...PRIVATE_CASES,
  ...SPELLING_CASES,
  ...FRONTING,
  ...TLS,
  ...CONTROLS,
];
