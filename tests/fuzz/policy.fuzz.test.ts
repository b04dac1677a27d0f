// Fuzzing the pure layers (framing, parseLine, decide) with random JSON-RPC traffic in both directions.
// Properties: no input crashes them; a request carrying an outside path anywhere is never allowed;
// an id the warden would answer is always the id it received; what is forwarded (the original line or
// a rewrite) re-parses to the same value.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicySchema } from '../../src/config/policy-schema.ts';
import { decide } from '../../src/policy/decide.ts';
import { learnTools } from '../../src/policy/tool-info.ts';
import type { PolicyContext, SessionView } from '../../src/policy/types.ts';
import { idKey, type JsonRpcId } from '../../src/protocol/json-rpc.ts';
import { LineFramer } from '../../src/protocol/line-framer.ts';
import { parseLine } from '../../src/protocol/parse-line.ts';
import { encodeLine } from '../../src/protocol/wire-errors.ts';
import { hostPaths } from '../../src/util/host-paths.ts';
import { MessageCounter, settings, TIMEOUT } from './fuzz-settings.ts';

const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-fuzz-')));
const ROOT = path.join(base, 'data');
mkdirSync(path.join(ROOT, 'sub'), { recursive: true });
mkdirSync(path.join(base, 'outside'));
mkdirSync(`${ROOT}-evil`);
symlinkSync('/etc', path.join(ROOT, 'link-out'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const counter = new MessageCounter();
afterAll(() => {
  console.log(`policy fuzz: ${counter.count} messages`);
  expect(counter.count).toBeGreaterThanOrEqual(8000);
});

const ctx: PolicyContext = {
  policy: PolicySchema.parse({ tools: { deny: ['env'] } }),
  roots: [{ path: ROOT, realPath: ROOT, readOnly: false }],
  home: path.join(base, 'home'),
  realpath: hostPaths.realpath,
  readlink: hostPaths.readlink,
  exists: hostPaths.exists,
};

const TOOLS = learnTools({
  tools: [
    { name: 'read_file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
    { name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  ],
});

/** Spellings of a place outside the root; each must be refused wherever it sits in params. */
const OUTSIDE = [
  '/etc/passwd',
  `${ROOT}/../outside/secret`,
  '../outside/secret',
  `${ROOT}/sub/../../outside`,
  'file:///etc/passwd',
  `file://${ROOT}/%2e%2e/outside`,
  `file://${ROOT}/%252e%252e/outside`,
  'FILE:/etc/shadow',
  '~/.ssh/id_rsa',
  '~root/.ssh',
  `${ROOT}-evil/x`,
  `${ROOT}/link-out/passwd`,
  'C:\\Windows\\win.ini',
  '\\\\server\\share',
  `${ROOT}/\u0000`,
  `${ROOT}/．．/outside`,
  `${ROOT}/\ud800`,
  ' /etc/passwd',
  '..',
  // Issue 20 item 7: spellings other consumers derive (URL parsers, glob libraries, servers that map
  // a URI of their own scheme or a relative name onto a directory with symlinks in it).
  'link-out/passwd',
  'file:///etc/passwd\n',
  '/etc/passwd\r\n',
  'fi\nle:///etc/passwd',
  'notes://../outside/secret',
  'notes://..%2Foutside%2Fsecret',
  'notes://%2E%2E/outside/secret',
  'notes:///etc/passwd',
  'notes://link-out/passwd',
  '%2e%2e%2foutside%2fsecret',
  '{/etc/passwd,x}',
  `{..,x}/outside/*`,
];

/** Harmless words a text argument carries: joined by spaces or line breaks they must never be refused. */
const PROSE = [
  'see',
  'notes:',
  '1/2',
  'done.',
  'e.g.',
  'v1.2.3',
  'https://example.com/a/../b',
  'http://localhost:8080/x',
  'mailto:a@example.com',
  '{a,b}',
  '{"k":"/etc/passwd"}',
  'x/y.txt',
  'sub/',
  '50%',
  '/*',
  '*/',
  '../up',
  'return a/b;',
  're:',
  '~',
];

const jsonLeaf = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null));
const key = fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__');

/** `value` wrapped in 0–6 random containers (objects under random keys, arrays at random positions). */
const nested = (value: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc
    .tuple(
      value,
      fc.array(fc.tuple(fc.boolean(), key, fc.array(jsonLeaf, { maxLength: 3 })), { maxLength: 6 }),
    )
    .map(([inner, steps]) => {
      let v: unknown = inner;
      for (const [asObject, k, siblings] of steps) v = asObject ? { [k]: v } : [...siblings, v];
      return v;
    });

const randomArgs = fc.dictionary(key, fc.oneof(jsonLeaf, nested(jsonLeaf)), { maxKeys: 4 });

const emptyState = (): SessionView => ({
  clientInFlight: new Map(),
  serverInFlight: new Map(),
  abandoned: new Set(),
  tools: TOOLS,
  pins: new Map(),
  withheld: new Map(),
});

/** Frame `line` + "\n" through a real LineFramer with the default client cap; returns the lines. */
function frame(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  const framer = new LineFramer(4 * 1024 * 1024, {
    onLine: (line) => lines.push(Buffer.from(line)),
    onOversizeStart: () => undefined,
    onOversizeEnd: () => undefined,
  });
  framer.push(bytes);
  framer.end();
  return lines;
}

const id: fc.Arbitrary<JsonRpcId> = fc.oneof(fc.string({ maxLength: 20 }), fc.integer());
const METHODS = [
  'tools/call',
  'tools/list',
  'resources/read',
  'prompts/get',
  'initialize',
  'ping',
  'sampling/createMessage',
  'notifications/message',
  'x',
];

/** A random JSON-RPC message object, either direction. */
const message = fc.oneof(
  fc.record({ jsonrpc: fc.constant('2.0'), id, method: fc.constantFrom(...METHODS), params: randomArgs }),
  fc.record({ jsonrpc: fc.constant('2.0'), method: fc.constantFrom(...METHODS), params: randomArgs }),
  fc.record({ jsonrpc: fc.constant('2.0'), id, result: randomArgs }),
  fc.record({
    jsonrpc: fc.constant('2.0'),
    id,
    error: fc.record({ code: fc.integer(), message: fc.string() }),
  }),
  fc.record({
    jsonrpc: fc.constant('2.0'),
    id,
    method: fc.constant('tools/call'),
    params: fc.record({ name: fc.constantFrom('read_file', 'echo', 'env', 'other'), arguments: randomArgs }),
  }),
);

/** Random byte edits of a line: what a fuzzer at the pipe would send. */
const mutated = fc
  .tuple(
    message,
    fc.array(
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('insert', 'replace', 'delete')),
      {
        maxLength: 4,
      },
    ),
  )
  .map(([m, edits]) => {
    const bytes = [...Buffer.from(JSON.stringify(m))];
    for (const [at, byte, op] of edits) {
      const i = at % (bytes.length + 1);
      if (op === 'insert') bytes.splice(i, 0, byte);
      else if (op === 'replace' && i < bytes.length) bytes[i] = byte;
      else if (op === 'delete') bytes.splice(i, 1);
    }
    return Buffer.from(bytes.filter((b) => b !== 0x0a));
  });

/** A random session state: some ids in flight in each direction. */
const state = fc
  .tuple(fc.array(id, { maxLength: 4 }), fc.array(id, { maxLength: 3 }))
  .map(([client, server]): SessionView => ({
    ...emptyState(),
    clientInFlight: new Map(client.map((i) => [idKey(i), { method: 'tools/call' }])),
    serverInFlight: new Map(server.map((i) => [idKey(i), { method: 'ping' }])),
  }));

describe('fuzz: framing, parsing and policy never crash and never disagree with themselves', () => {
  it(
    'any bytes: framing and parseLine do not throw; an accepted line is exactly what JSON.parse sees; decide does not throw',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            mutated,
            fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
          ),
          state,
          (bytes, view) => {
            for (const line of frame(Buffer.concat([bytes, Buffer.from('\n')]))) {
              counter.add();
              const parsed = parseLine(line, { maxDepth: 64 });
              if (!parsed.ok) continue;
              expect(isDeepStrictEqual(parsed.value, JSON.parse(line.toString('utf8')))).toBe(true);
              for (const direction of ['client', 'server'] as const) {
                const verdict = decide({ direction, message: parsed.message, bytes: line.length }, view, ctx);
                expect(['allow', 'deny', 'kill']).toContain(verdict.action);
                if (verdict.action !== 'allow') expect(verdict.rule).toMatch(/^[a-z]+\.[a-z-]+$/);
              }
            }
          },
        ),
        settings(3000),
      );
    },
    TIMEOUT,
  );

  it(
    'a client request with an outside path anywhere in params is never allowed',
    () => {
      const method = fc.constantFrom(
        'tools/call',
        'resources/read',
        'prompts/get',
        'completion/complete',
        'resources/subscribe',
      );
      let decided = 0;
      fc.assert(
        fc.property(
          method,
          fc.constantFrom('read_file', 'echo', 'other'),
          randomArgs,
          key,
          nested(fc.constantFrom(...OUTSIDE)),
          (m, tool, args, k, attack) => {
            counter.add();
            const params =
              m === 'tools/call'
                ? { name: tool, arguments: { ...args, [k]: attack } }
                : { ...args, [k]: attack };
            const line = encodeLine({ jsonrpc: '2.0', id: 1, method: m, params });
            const parsed = parseLine(line.subarray(0, -1), { maxDepth: 64 });
            if (!parsed.ok) return; // a lone surrogate key or similar: refused by framing already
            const verdict = decide(
              { direction: 'client', message: parsed.message, bytes: line.length },
              emptyState(),
              ctx,
            );
            decided++;
            expect(verdict.action, JSON.stringify(params)).not.toBe('allow');
          },
        ),
        settings(3000),
      );
      // Most attacks must reach decide(): a generator that framing always refuses would prove nothing.
      expect(decided).toBeGreaterThan(settings(3000).numRuns * 0.9);
    },
    TIMEOUT,
  );

  it(
    'prose and code in a text argument are never refused',
    () => {
      // A space next to every line break: joined by a URL parser, the lines are still prose.
      const separator = fc.constantFrom(' ', ' \n', '\n ', ' \r\n', '\t ');
      const prose = fc
        .tuple(fc.array(fc.tuple(fc.constantFrom(...PROSE), separator), { minLength: 2, maxLength: 12 }))
        .map(([words]) => words.map(([word, sep]) => word + sep).join(''))
        // Two or more words; a single line must not start as a path does (that one is checked).
        .filter(
          (text) =>
            /\S\s+\S/.test(text) && (/[\n\r]/.test(text.trim()) || !/^(?:\/|\.\.\/)/.test(text.trim())),
        );
      fc.assert(
        fc.property(prose, (text) => {
          counter.add();
          const line = encodeLine({
            jsonrpc: '2.0',
            id: 1,
            method: 'tools/call',
            params: { name: 'echo', arguments: { text } },
          });
          const parsed = parseLine(line.subarray(0, -1), { maxDepth: 64 });
          if (!parsed.ok) throw new Error('prose must parse');
          const verdict = decide(
            { direction: 'client', message: parsed.message, bytes: line.length },
            emptyState(),
            ctx,
          );
          expect(verdict, JSON.stringify(text)).toEqual({ action: 'allow' });
        }),
        settings(2000),
      );
    },
    TIMEOUT,
  );

  it(
    'the id of a refused line is the id it carried, never another one',
    () => {
      const plainId = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), fc.integer());
      const line = fc.tuple(plainId, randomArgs, fc.nat(40), fc.boolean()).map(([i, args, cut, deep]) => {
        const body = {
          jsonrpc: '2.0',
          id: i,
          method: 'tools/call',
          params: { name: 'echo', arguments: args },
        };
        let text = JSON.stringify(body);
        if (deep) text = text.replace('"arguments":', `"d":${'['.repeat(80)}1${']'.repeat(80)},"arguments":`);
        else text = text.slice(0, Math.max(10, text.length - cut)); // truncated: invalid JSON
        return { i, text };
      });
      fc.assert(
        fc.property(line, ({ i, text }) => {
          counter.add();
          const parsed = parseLine(Buffer.from(text), { maxDepth: 64 });
          if (parsed.ok || parsed.empty) return;
          if (parsed.id === undefined) return;
          expect(parsed.id).toEqual(i);
        }),
        settings(2000),
      );
    },
    TIMEOUT,
  );

  it(
    'what is forwarded re-parses to the same value (original lines and rewrites alike)',
    () => {
      fc.assert(
        fc.property(
          message,
          fc.constantFrom('client', 'server') as fc.Arbitrary<'client' | 'server'>,
          (m, direction) => {
            counter.add();
            const line = encodeLine(m);
            const parsed = parseLine(line.subarray(0, -1), { maxDepth: 64 });
            if (!parsed.ok) return;
            const view =
              direction === 'server' && 'id' in m && !('method' in m)
                ? {
                    ...emptyState(),
                    clientInFlight: new Map([[idKey(m.id as JsonRpcId), { method: 'tools/list' }]]),
                  }
                : emptyState();
            const verdict = decide({ direction, message: parsed.message, bytes: line.length }, view, ctx);
            if (verdict.action !== 'allow') return;
            const forwarded = verdict.rewrite ? encodeLine(verdict.rewrite) : line;
            const again = parseLine(forwarded.subarray(0, -1), { maxDepth: 64 });
            expect(again.ok).toBe(true);
            if (again.ok) expect(isDeepStrictEqual(again.value, verdict.rewrite ?? parsed.value)).toBe(true);
          },
        ),
        settings(2000),
      );
    },
    TIMEOUT,
  );
});
