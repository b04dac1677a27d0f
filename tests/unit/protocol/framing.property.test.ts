import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { LineFramer } from '../../../src/protocol/line-framer.ts';
import { parseLine } from '../../../src/protocol/parse-line.ts';
import { scanJson } from '../../../src/protocol/json-scan.ts';
import { IdSniffer } from '../../../src/protocol/id-sniffer.ts';

const settings = { seed: 42, numRuns: 300 };

/** Split `bytes` at the given (unsorted, possibly repeated) cut points. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}

// JSON values without __proto__ keys (parseLine rejects those on purpose).
const json = fc.jsonValue({ maxDepth: 4 }).filter((v) => !JSON.stringify(v).includes('"__proto__"'));
const params = fc.dictionary(fc.string(), json, { maxKeys: 5 }).filter((p) => !Object.hasOwn(p, '__proto__'));
const id = fc.oneof(fc.string({ maxLength: 256 }), fc.maxSafeInteger(), fc.integer());
const method = fc.string({ minLength: 1, maxLength: 30 });
const message = fc.oneof(
  fc.record(
    { jsonrpc: fc.constant('2.0'), id, method, params },
    { requiredKeys: ['jsonrpc', 'id', 'method'] },
  ),
  fc.record({ jsonrpc: fc.constant('2.0'), method, params }, { requiredKeys: ['jsonrpc', 'method'] }),
  fc.record({ jsonrpc: fc.constant('2.0'), id, result: params }),
  fc.record({
    jsonrpc: fc.constant('2.0'),
    id: fc.option(id),
    error: fc.record({ code: fc.integer(), message: fc.string() }),
  }),
);

describe('framing properties', () => {
  it('round-trips any sequence of valid messages split into any chunks', () => {
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat(), { maxLength: 20 }),
        (messages, eol, cuts) => {
          const bytes = Buffer.from(messages.map((m) => JSON.stringify(m) + eol).join(''));
          const received: unknown[] = [];
          const framer = new LineFramer(1 << 20, {
            onLine: (line) => {
              const parsed = parseLine(line, { maxDepth: 64 });
              if (!parsed.ok) throw new Error(`rejected: ${JSON.stringify(parsed)}`);
              received.push(parsed.value);
            },
            onOversizeStart: () => {
              throw new Error('unexpected oversize');
            },
            onOversizeEnd: () => {},
          });
          for (const chunk of split(bytes, cuts)) framer.push(chunk);
          expect(framer.end()).toEqual({ trailingBytes: 0 });
          expect(received).toEqual(messages.map((m) => JSON.parse(JSON.stringify(m))));
        },
      ),
      settings,
    );
  });

  it('hands every line over with its own newline too: the same bytes, the line a view of them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (lines, cuts) => {
          const clean = lines.map((l) => Buffer.from(l.filter((b) => b !== 0x0a)));
          const bytes = Buffer.concat(clean.flatMap((l) => [l, Buffer.from('\n')]));
          const seen: Buffer[] = [];
          const framer = new LineFramer(1 << 20, {
            onLine: (line, terminated) => {
              // What the session forwards unchanged: exactly the line and its "\n", no copy of either.
              expect(Buffer.concat([line, Buffer.from('\n')]).equals(terminated)).toBe(true);
              expect(line.buffer).toBe(terminated.buffer);
              expect(line.byteOffset).toBe(terminated.byteOffset);
              seen.push(Buffer.from(terminated));
            },
            onOversizeStart: () => {
              throw new Error('unexpected oversize');
            },
            onOversizeEnd: () => {},
          });
          for (const chunk of split(bytes, cuts)) framer.push(chunk);
          expect(Buffer.concat(seen).equals(bytes)).toBe(true);
        },
      ),
      settings,
    );
  });

  it('sniffs the id of any valid message, whether id comes first or last', () => {
    fc.assert(
      fc.property(message, fc.boolean(), fc.array(fc.nat(), { maxLength: 20 }), (m, idLast, cuts) => {
        const { id: _id, ...rest } = m as Record<string, unknown>;
        const ordered = idLast && 'id' in m ? { ...rest, id: m.id } : m;
        const sniffer = new IdSniffer();
        for (const chunk of split(Buffer.from(JSON.stringify(ordered)), cuts)) sniffer.push(chunk);
        expect(sniffer.result()).toEqual('id' in m && m.id !== null ? m.id : undefined);
      }),
      settings,
    );
  });

  // Bytes biased towards JSON structure so the sniffer and parser reach deep states.
  const jsonish = fc.array(
    fc.oneof(
      fc.constantFrom(...'{}[]":,\\\n\r id0123456789-.eEtrunl'.split('').map((c) => c.charCodeAt(0))),
      fc.integer({ min: 0, max: 255 }),
    ),
    { maxLength: 300 },
  );

  it('never throws on arbitrary bytes, and accounts for every byte', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonish,
          fc.uint8Array({ maxLength: 300 }).map((a) => [...a]),
        ),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer({ min: 0, max: 64 }),
        (byteList, cuts, cap) => {
          const bytes = Buffer.from(byteList);
          let accounted = 0;
          const framer = new LineFramer(cap, {
            onLine: (line) => {
              expect(line.length).toBeLessThanOrEqual(cap);
              accounted += line.length + 1;
              parseLine(line, { maxDepth: 8 });
            },
            onOversizeStart: ({ bytesSoFar }) => expect(bytesSoFar).toBeGreaterThan(cap),
            onOversizeEnd: ({ bytes: n }) => {
              accounted += n + 1;
            },
          });
          for (const chunk of split(bytes, cuts)) {
            framer.push(chunk);
            expect(framer.bufferedBytes).toBeLessThanOrEqual(cap);
          }
          accounted += framer.end().trailingBytes;
          expect(accounted).toBe(bytes.length);
          parseLine(bytes, { maxDepth: 8 });
        },
      ),
      settings,
    );
  });

  // A JSON tree whose objects are entry lists, so duplicate keys are representable.
  type Tree =
    | { kind: 'scalar'; value: unknown }
    | { kind: 'array'; items: Tree[] }
    | { kind: 'object'; entries: [string, Tree][] };
  const key = fc.oneof(
    fc.constantFrom('a', 'b', 'id', 'é', '"', '\\', '😀', ''),
    fc.string({ maxLength: 4 }),
  );
  const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc
        .oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean())
        .map((value): Tree => ({ kind: 'scalar', value })),
      fc.array(tie('tree'), { maxLength: 4 }).map((items): Tree => ({ kind: 'array', items })),
      fc
        .array(fc.tuple(key, tie('tree'), fc.nat()), { maxLength: 5 })
        // Duplicate injection: an entry may reuse the key of an earlier entry.
        .map((raw): Tree => ({
          kind: 'object',
          entries: raw.map(([k, v, reuse], i): [string, Tree] => [
            reuse % 3 === 0 && i > 0 ? raw[reuse % i]![0] : k,
            v,
          ]),
        })),
    ),
  }));

  function serialise(node: Tree, escapeKeys: boolean, space: string): string {
    if (node.kind === 'scalar') return JSON.stringify(node.value);
    if (node.kind === 'array')
      return `[${node.items.map((n) => serialise(n, escapeKeys, space)).join(`,${space}`)}]`;
    // Escaped form: every UTF-16 code unit as \uXXXX (surrogate pairs as two escapes).
    const encodeKey = (k: string): string =>
      escapeKeys
        ? `"${Array.from({ length: k.length }, (_, i) => `\\u${k.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`
        : JSON.stringify(k);
    return `{${node.entries.map(([k, v]) => `${encodeKey(k)}:${space}${serialise(v, escapeKeys, space)}`).join(`,${space}`)}}`;
  }

  /** Obviously-correct reference: walk entries in document order, one key set per object. */
  function reference(node: Tree, depth = 0): { duplicateKey: string | undefined; maxDepth: number } {
    if (node.kind === 'scalar') return { duplicateKey: undefined, maxDepth: depth };
    let duplicateKey: string | undefined;
    let maxDepth = depth + 1;
    const seen = new Set<string>();
    const children =
      node.kind === 'array'
        ? node.items.map((v): [string | undefined, Tree] => [undefined, v])
        : node.entries;
    for (const [k, v] of children) {
      if (k !== undefined) {
        if (duplicateKey === undefined && seen.has(k)) duplicateKey = k;
        seen.add(k);
      }
      const child = reference(v, depth + 1);
      duplicateKey ??= child.duplicateKey;
      maxDepth = Math.max(maxDepth, child.maxDepth);
    }
    return { duplicateKey, maxDepth };
  }

  it('scanJson agrees with a reference on duplicate keys and depth', () => {
    fc.assert(
      fc.property(tree, fc.boolean(), fc.constantFrom('', ' ', '\n\t'), (node, escapeKeys, space) => {
        const text = serialise(node, escapeKeys, space);
        JSON.parse(text); // the generator only builds valid JSON
        const { duplicateKey, maxDepth } = scanJson(text);
        expect({ duplicateKey, maxDepth }).toEqual(reference(node));
      }),
      settings,
    );
  });
});
