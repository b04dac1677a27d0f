// Issue: bytes that one JSON parser reads differently from another (duplicate keys, __proto__,
// invalid UTF-8, BOM, two objects per line, batches, depth bombs, unsafe ids) let a message mean one
// thing to the policy and another to the server or client. Fix: framing accepts exactly one
// well-formed JSON-RPC object per line and rejects everything else (a client gets -32001, a server
// is killed).
import type { RuleId } from '../../../src/policy/types.ts';
import { exitWithin } from '../../helpers/warden.ts';
import type { AttackCase, AttackContext, CustomApi } from '../types.ts';

const JSON_ERR: RuleId = 'protocol.invalid-json';
const SHAPE: RuleId = 'protocol.invalid-message';

/** A request line carrying `marker`, with `inner` spliced into params.arguments. */
const request = (marker: string, inner = ''): string =>
  `{"jsonrpc":"2.0","id":"atk-${marker}","method":"tools/call","params":{"name":"echo","arguments":{"text":"${marker}"${inner}}}}`;

function raw(
  id: string,
  title: string,
  line: (ctx: AttackContext, marker: string) => string | Buffer,
  rule: RuleId | readonly RuleId[],
): AttackCase {
  return {
    id: `framing.${id}`,
    family: 'framing',
    title,
    layer: 'policy',
    action: { kind: 'raw', line },
    expect: { kind: 'denied', rule },
  };
}

function server(
  id: string,
  title: string,
  emit: (ctx: AttackContext) => string | Buffer,
  rule: RuleId | readonly RuleId[],
): AttackCase {
  return {
    id: `framing.${id}`,
    family: 'framing',
    title,
    layer: 'policy',
    action: { kind: 'server', emit },
    expect: { kind: 'killed', rule },
  };
}

/**
 * A fresh warden (with `options`) whose server prints `lines` non-JSON lines while a request is in
 * flight: the request must get -32002 with `rule`, nothing of the lines may reach the client, and the
 * warden must exit 70.
 */
async function strayKill(
  api: CustomApi,
  options: { extraArgs?: string[]; policy?: object },
  lines: number,
  rule: RuleId,
): Promise<string | undefined> {
  const warden = await api.warden(options);
  const emitted = 'stray output line\n'.repeat(lines);
  const reply = await warden
    .request(
      'atk-stray-kill',
      'tools/call',
      {
        name: 'emit',
        arguments: { b64: Buffer.from(emitted).toString('base64') },
      },
      30_000,
    )
    .catch((error: Error) => error);
  if (reply instanceof Error) return reply.message.slice(0, 300);
  if (reply.error?.code !== -32002 || reply.error.data?.rule !== rule)
    return `expected -32002 ${rule}, got ${JSON.stringify(reply).slice(0, 300)}`;
  if (warden.nonJsonLines().length > 0) return `non-JSON reached the client: ${warden.nonJsonLines()[0]}`;
  const status = await exitWithin(warden, 15_000).catch((error: Error) => error);
  if (status instanceof Error) return status.message.slice(0, 300);
  return status.code === 70 ? undefined : `the warden exited ${JSON.stringify(status)}, expected 70`;
}

const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

const nest = (depth: number, open: string, close: string, inner: string): string =>
  open.repeat(depth) + inner + close.repeat(depth);

export const FRAMING_CASES: AttackCase[] = [
  // ---- client → server ----
  raw(
    'deep-nesting',
    'objects nested 70 deep (limit 64)',
    (_c, m) => request(m, `,"d":${nest(70, '{"a":', '}', '1')}`),
    SHAPE,
  ),
  raw(
    'deep-nesting-bomb',
    '200,000 nested arrays (parser bomb)',
    (_c, m) => request(m, `,"d":${nest(200_000, '[', ']', '1')}`),
    SHAPE,
  ),
  raw(
    'deep-unbalanced',
    '300,000 unclosed brackets',
    (_c, m) => `{"m":"${m}","x":${'['.repeat(300_000)}`,
    SHAPE,
  ),
  raw(
    'id-huge-number',
    'id 1e400 (parses to Infinity)',
    (_c, m) => `{"jsonrpc":"2.0","id":1e400,"method":"ping","params":{"m":"${m}"}}`,
    SHAPE,
  ),
  raw(
    'id-unsafe-integer',
    'id 2^53+1 (would round on echo)',
    (_c, m) => `{"jsonrpc":"2.0","id":9007199254740993,"method":"ping","params":{"m":"${m}"}}`,
    SHAPE,
  ),
  raw(
    'id-float',
    'id 1.5',
    (_c, m) => `{"jsonrpc":"2.0","id":1.5,"method":"ping","params":{"m":"${m}"}}`,
    SHAPE,
  ),
  raw(
    'id-long-string',
    'a 300-character string id',
    (_c, m) => `{"jsonrpc":"2.0","id":"${m}${'x'.repeat(300)}","method":"ping"}`,
    SHAPE,
  ),
  raw(
    'id-null-request',
    'a request with id null',
    (_c, m) => `{"jsonrpc":"2.0","id":null,"method":"ping","params":{"m":"${m}"}}`,
    SHAPE,
  ),
  raw(
    'id-object',
    'an object as id',
    (_c, m) => `{"jsonrpc":"2.0","id":{"m":"${m}"},"method":"ping"}`,
    SHAPE,
  ),
  raw(
    'duplicate-key',
    'duplicate "name" (echo vs env): parsers disagree on which wins',
    (_c, m) =>
      `{"jsonrpc":"2.0","id":"atk-${m}","method":"tools/call","params":{"name":"echo","name":"env","arguments":{"text":"${m}"}}}`,
    SHAPE,
  ),
  raw(
    'duplicate-key-escaped',
    'duplicate key spelled with a \\u escape',
    (_c, m) =>
      `{"jsonrpc":"2.0","id":"atk-${m}","method":"tools/call","params":{"name":"echo","na\\u006de":"env","arguments":{"text":"${m}"}}}`,
    SHAPE,
  ),
  raw(
    'duplicate-method',
    'duplicate top-level "method"',
    (_c, m) =>
      `{"jsonrpc":"2.0","id":"atk-${m}","method":"ping","method":"tools/call","params":{"name":"env","arguments":{"t":"${m}"}}}`,
    SHAPE,
  ),
  raw(
    'duplicate-path',
    'duplicate "path": inside first, outside second',
    (c, m) =>
      `{"jsonrpc":"2.0","id":"atk-${m}","method":"tools/call","params":{"name":"read_file","arguments":{"path":"${c.root}/ok.txt","path":"/etc/passwd","t":"${m}"}}}`,
    SHAPE,
  ),
  raw(
    'proto-key',
    '"__proto__" key in arguments',
    (_c, m) => request(m, ',"__proto__":{"path":"/etc/passwd"}'),
    SHAPE,
  ),
  raw(
    'proto-key-escaped',
    '"__proto__" spelled with an escape',
    (_c, m) => request(m, ',"__pro\\u0074o__":{"isAdmin":true}'),
    SHAPE,
  ),
  raw(
    'constructor-prototype',
    '"constructor"/"prototype" keys hiding an outside path',
    (c, m) =>
      `{"jsonrpc":"2.0","id":"atk-${m}","method":"tools/call","params":{"name":"read_file","arguments":{"path":"${c.root}/ok.txt","constructor":{"prototype":{"path":"/etc/passwd"}},"t":"${m}"}}}`,
    'path.outside-root',
  ),
  raw(
    'utf8-invalid-byte',
    'a 0xFF byte inside a string',
    (_c, m) => bytes(request(m).slice(0, -4), [0xff], '"}}}'),
    JSON_ERR,
  ),
  raw(
    'utf8-overlong-slash',
    'overlong UTF-8 "/" (C0 AF) in a path',
    (c, m) =>
      bytes(
        `{"jsonrpc":"2.0","id":"atk-${m}","method":"tools/call","params":{"name":"read_file","arguments":{"path":"${c.root}/..`,
        [0xc0, 0xaf],
        '..',
        [0xc0, 0xaf],
        'etc/passwd"}}}',
      ),
    JSON_ERR,
  ),
  raw(
    'utf8-overlong-dot',
    'overlong UTF-8 "." (C0 AE)',
    (c, m) =>
      bytes(
        `{"jsonrpc":"2.0","id":"atk-${m}","method":"tools/call","params":{"name":"read_file","arguments":{"path":"${c.root}/`,
        [0xc0, 0xae, 0xc0, 0xae],
        '/x"}}}',
      ),
    JSON_ERR,
  ),
  raw(
    'utf8-surrogate',
    'a UTF-8-encoded surrogate (ED A0 80)',
    (_c, m) => bytes(request(m).slice(0, -4), [0xed, 0xa0, 0x80], '"}}}'),
    JSON_ERR,
  ),
  raw(
    'utf8-truncated',
    'a truncated multi-byte sequence',
    (_c, m) => bytes(request(m).slice(0, -4), [0xe2, 0x82], '"}}}'),
    JSON_ERR,
  ),
  raw(
    'bom',
    'a UTF-8 byte order mark before the object',
    (_c, m) => bytes([0xef, 0xbb, 0xbf], request(m)),
    JSON_ERR,
  ),
  raw(
    'cr-separated',
    'two objects separated by a lone "\\r"',
    (_c, m) => `${request(m)}\r${request(`${m}b`)}`,
    JSON_ERR,
  ),
  raw('two-objects', 'two objects on one line', (_c, m) => `${request(m)}${request(`${m}b`)}`, JSON_ERR),
  raw('trailing-garbage', 'garbage after the object', (_c, m) => `${request(m)} x`, JSON_ERR),
  raw('comment', 'a JavaScript comment inside', (_c, m) => request(m, '/* hi */'), JSON_ERR),
  raw('nan', 'a NaN literal', (_c, m) => request(m, ',"n":NaN'), JSON_ERR),
  raw(
    'single-quotes',
    'single-quoted strings (JSON5)',
    (_c, m) => `{'jsonrpc':'2.0','id':'atk-${m}','method':'ping'}`,
    JSON_ERR,
  ),
  raw('batch', 'a batch (JSON array) of one request', (_c, m) => `[${request(m)}]`, SHAPE),
  raw('batch-empty', 'an empty batch', (_c, m) => `["${m}"]`, SHAPE),
  raw('scalar', 'a bare string line', (_c, m) => `"${m}"`, SHAPE),
  raw('jsonrpc-1', '"jsonrpc":"1.0"', (_c, m) => `{"jsonrpc":"1.0","id":"atk-${m}","method":"ping"}`, SHAPE),
  raw('jsonrpc-missing', 'no "jsonrpc" member', (_c, m) => `{"id":"atk-${m}","method":"ping"}`, SHAPE),
  raw('method-number', 'a numeric method', (_c, m) => `{"jsonrpc":"2.0","id":"atk-${m}","method":42}`, SHAPE),
  raw(
    'extra-member',
    'an unknown top-level member',
    (_c, m) => `{"jsonrpc":"2.0","id":"atk-${m}","method":"ping","sudo":true}`,
    SHAPE,
  ),
  raw(
    'oversize',
    'a 5 MiB line (client cap 4 MiB)',
    (_c, m) => request(m, `,"pad":"${'p'.repeat(5 * 1024 * 1024)}"`),
    'size.message',
  ),
  raw(
    'crlf-outside-path',
    'a CRLF-terminated request still has its path checked',
    (_c, m) =>
      `{"jsonrpc":"2.0","id":"atk-${m}","method":"tools/call","params":{"name":"read_file","arguments":{"path":"/etc/passwd","t":"${m}"}}}\r`,
    'path.outside-root',
  ),
  raw(
    'escaped-slashes',
    'a path spelled with \\u002f escapes',
    (_c, m) =>
      `{"jsonrpc":"2.0","id":"atk-${m}","method":"tools/call","params":{"name":"read_file","arguments":{"path":"\\u002fetc\\u002fpasswd","t":"${m}"}}}`,
    'path.outside-root',
  ),
  raw(
    'escaped-method',
    'a method spelled with escapes ("tools\\u002fcall") hiding a denied tool',
    (_c, m) =>
      `{"jsonrpc":"2.0","id":"atk-${m}","method":"tools\\u002fcall","params":{"name":"\\u0065nv","arguments":{"t":"${m}"}}}`,
    'tool.not-allowed',
  ),
  {
    id: 'framing.blank-lines',
    family: 'framing',
    title: 'blank and whitespace-only lines are ignored',
    layer: 'policy',
    action: { kind: 'raw', line: () => ' \t \r' },
    expect: { kind: 'ignored' },
  },

  // ---- server → client: any of these kills the sandbox ----
  // Issue 15 item 7: a non-JSON line (a forgotten console.log) is dropped, not a breach; a flood of
  // them, or any one under --strict-protocol, still kills the sandbox.
  {
    id: 'framing.server-garbage',
    family: 'framing',
    title: 'server writes a non-JSON line: dropped, the client never sees it, the session goes on',
    layer: 'policy',
    action: {
      kind: 'custom',
      run: async (ctx, api) => {
        const warden = await api.shared();
        const id = `atk-stray-${ctx.mark()}`;
        const canary = `stray-${ctx.mark()}`;
        const answer = `{"jsonrpc":"2.0","id":"${id}","result":{"content":[{"type":"text","text":"after"}]}}\n`;
        const emitted = `this is not json ${canary}\n${answer}`;
        const reply = await warden.request(id, 'tools/call', {
          name: 'emit',
          arguments: { b64: Buffer.from(emitted).toString('base64') },
        });
        if (reply.error) return `the session did not go on: ${JSON.stringify(reply.error)}`;
        const ping = await warden.request(`${id}-ping`, 'ping', {});
        if (ping.error) return `the session stopped answering: ${JSON.stringify(ping.error)}`;
        if (warden.nonJsonLines().some((l) => l.includes(canary))) return 'the stray line reached the client';
        if (JSON.stringify(warden.allMessages()).includes(canary)) return 'the stray line reached the client';
        return undefined;
      },
    },
    expect: { kind: 'contained', what: 'the line is dropped and the session answers on' },
  },
  {
    id: 'framing.server-stray-flood',
    family: 'framing',
    title: 'server floods stdout with non-JSON lines past its limit: killed (protocol.stray-output)',
    layer: 'policy',
    action: {
      kind: 'custom',
      run: (_ctx, api) =>
        strayKill(api, { policy: { strayOutput: { lines: 50 } } }, 60, 'protocol.stray-output'),
    },
    expect: { kind: 'contained', what: 'the sandbox is killed past the flood limit' },
  },
  {
    id: 'framing.server-garbage-strict',
    family: 'framing',
    title: 'under --strict-protocol one non-JSON line kills the sandbox (protocol.invalid-json)',
    layer: 'policy',
    action: {
      kind: 'custom',
      run: (_ctx, api) => strayKill(api, { extraArgs: ['--strict-protocol'] }, 1, JSON_ERR),
    },
    expect: { kind: 'contained', what: 'the sandbox is killed' },
  },
  server(
    'server-invalid-utf8',
    'server writes invalid UTF-8',
    () =>
      bytes('{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"', [0xff, 0xfe], '"}}\n'),
    JSON_ERR,
  ),
  server(
    'server-bom',
    'server prefixes a BOM',
    () => bytes([0xef, 0xbb, 0xbf], '{"jsonrpc":"2.0","method":"notifications/message","params":{}}\n'),
    JSON_ERR,
  ),
  server(
    'server-batch',
    'server sends a batch',
    () => '[{"jsonrpc":"2.0","method":"notifications/message","params":{}}]\n',
    SHAPE,
  ),
  server(
    'server-two-objects',
    'server sends two objects on one line',
    () =>
      '{"jsonrpc":"2.0","method":"notifications/message","params":{}}{"jsonrpc":"2.0","method":"notifications/message","params":{}}\n',
    JSON_ERR,
  ),
  server(
    'server-deep',
    'server sends a 100-deep result',
    () => `{"jsonrpc":"2.0","method":"notifications/message","params":${nest(100, '{"a":', '}', '1')}}\n`,
    SHAPE,
  ),
  server(
    'server-duplicate-key',
    'server sends duplicate keys',
    () =>
      '{"jsonrpc":"2.0","method":"notifications/message","method":"sampling/createMessage","params":{}}\n',
    SHAPE,
  ),
  server(
    'server-proto',
    'server sends a "__proto__" key',
    () => '{"jsonrpc":"2.0","method":"notifications/message","params":{"__proto__":{"polluted":true}}}\n',
    SHAPE,
  ),
  server(
    'server-error-id-null',
    'server sends an error with id null',
    () => '{"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"x"}}\n',
    SHAPE,
  ),
  server('server-scalar', 'server sends a bare number', () => '42\n', SHAPE),
  server(
    'server-jsonrpc-1',
    'server sends "jsonrpc":"1.0"',
    () => '{"jsonrpc":"1.0","method":"notifications/message","params":{}}\n',
    SHAPE,
  ),
  server(
    'server-result-and-error',
    'server sends a response with result and error',
    () => '{"jsonrpc":"2.0","id":"x","result":{},"error":{"code":1,"message":"x"}}\n',
    SHAPE,
  ),
  server(
    'server-huge-id',
    'server answers with id 1e400',
    () => '{"jsonrpc":"2.0","id":1e400,"result":{}}\n',
    SHAPE,
  ),
  {
    id: 'framing.server-huge-line',
    family: 'framing',
    title: 'server sends one 40 MiB line (cap 32 MiB)',
    layer: 'policy',
    action: { kind: 'server-mode', mode: 'huge-response' },
    expect: { kind: 'killed', rule: 'size.message' },
  },
  {
    id: 'framing.server-endless-line',
    family: 'framing',
    title: 'server sends 40 MiB without a newline and hangs',
    layer: 'policy',
    action: { kind: 'server-mode', mode: 'endless-line' },
    expect: { kind: 'killed', rule: 'size.message' },
  },
];
