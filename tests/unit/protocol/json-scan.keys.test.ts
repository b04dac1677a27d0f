import { describe, it, expect } from 'vitest';
import { scanJson } from '../../../src/protocol/json-scan.ts';

// scanJson compares keys as spans of the text by hash, keeps escaped keys decoded, and moves an object
// with more than 16 keys to a Set. These tests aim at those seams: mixed escaped and plain spellings
// of one key, hash collisions, the 16/17-key boundary, and children opening and closing around them.

/** mulberry32: small, seeded, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Tree = number | Tree[] | { entries: [string, Tree][] };

// "Aa" and "BB" have the same 31-based hash, and so do all their concatenations.
const KEYS = [
  'a',
  'b',
  'Aa',
  'BB',
  'AaBB',
  'BBAa',
  'AaAa',
  '__proto__',
  '"q',
  '\\',
  '/',
  'é',
  '😀',
  '\u0000',
  '',
];

function generate(random: () => number, depth: number): Tree {
  const roll = random();
  if (depth > 3 || roll < 0.3 + 0.15 * depth) return Math.floor(random() * 10);
  if (roll < 0.45) return Array.from({ length: Math.floor(random() * 4) }, () => generate(random, depth + 1));
  // Small objects mostly; some around and well past the 16-key boundary.
  const size = pick(random, depth < 2 ? [0, 1, 2, 3, 5, 15, 16, 17, 18, 40] : [0, 1, 2, 3]);
  const unique = random() < 0.5;
  const entries: [string, Tree][] = [];
  for (let i = 0; i < size; i++) {
    const key = unique || random() < 0.85 ? `k${i}` : pick(random, KEYS);
    entries.push([random() < 0.2 ? pick(random, KEYS) : key, generate(random, depth + 1)]);
  }
  return { entries };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** A key as JSON, each character plain or escaped at random (both spellings of a key must match). */
function encodeKey(random: () => number, key: string): string {
  let out = '"';
  for (const unit of Array.from({ length: key.length }, (_, i) => key.charAt(i))) {
    const plain = JSON.stringify(unit).slice(1, -1);
    out += random() < 0.2 ? `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}` : plain;
  }
  return `${out}"`;
}

function serialise(random: () => number, node: Tree): string {
  const space = random() < 0.2 ? ' \n' : '';
  if (typeof node === 'number') return String(node);
  if (Array.isArray(node)) return `[${space}${node.map((n) => serialise(random, n)).join(`,${space}`)}]`;
  const members = node.entries.map(([k, v]) => `${encodeKey(random, k)}${space}:${serialise(random, v)}`);
  return `{${space}${members.join(`,${space}`)}${space}}`;
}

/** Obviously-correct reference, in document order. */
function reference(
  node: Tree,
  depth = 0,
): { duplicateKey: string | undefined; maxDepth: number; protoKey: boolean } {
  if (typeof node === 'number') return { duplicateKey: undefined, maxDepth: depth, protoKey: false };
  let duplicateKey: string | undefined;
  let maxDepth = depth + 1;
  let protoKey = false;
  const seen = new Set<string>();
  const children: [string | undefined, Tree][] = Array.isArray(node)
    ? node.map((v) => [undefined, v])
    : node.entries;
  for (const [k, v] of children) {
    if (k !== undefined) {
      if (duplicateKey === undefined && seen.has(k)) duplicateKey = k;
      seen.add(k);
      if (k === '__proto__') protoKey = true;
    }
    const child = reference(v, depth + 1);
    duplicateKey ??= child.duplicateKey;
    maxDepth = Math.max(maxDepth, child.maxDepth);
    protoKey ||= child.protoKey;
  }
  return { duplicateKey, maxDepth, protoKey };
}

describe('scanJson keys', () => {
  it('agrees with a reference on random objects of up to 40 keys, keys spelt with and without escapes', () => {
    const random = prng(0xc0ffee);
    const problems: string[] = [];
    let duplicates = 0;
    for (let i = 0; i < 4000; i++) {
      const node = generate(random, 0);
      const text = serialise(random, node);
      JSON.parse(text); // the contract: only valid JSON
      const expected = reference(node);
      if (expected.duplicateKey !== undefined) duplicates++;
      const actual = scanJson(text);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        problems.push(`${text}: ${JSON.stringify(actual)} instead of ${JSON.stringify(expected)}`);
      }
    }
    expect(problems.slice(0, 3)).toEqual([]);
    expect(duplicates).toBeGreaterThan(500);
  });

  const keys = (n: number): string[] => Array.from({ length: n }, (_, i) => `"k${i}":${i}`);
  it.each([
    { name: 'hash collision is not a duplicate', text: '{"Aa":1,"BB":2}', dup: undefined },
    { name: 'escaped spelling of a plain key', text: '{"Aa":1,"\\u0041a":2}', dup: 'Aa' },
    { name: 'plain spelling of an escaped key', text: '{"\\u0041a":1,"Aa":2}', dup: 'Aa' },
    { name: 'two escaped spellings', text: '{"\\u0041a":1,"A\\u0061":2}', dup: 'Aa' },
    { name: 'duplicate as the 16th key', text: `{${keys(15).join()},"k3":0}`, dup: 'k3' },
    { name: 'duplicate as the 17th key', text: `{${keys(16).join()},"k0":0}`, dup: 'k0' },
    { name: 'duplicate as the 18th key', text: `{${keys(17).join()},"k16":0}`, dup: 'k16' },
    { name: 'no duplicate in 40 keys', text: `{${keys(40).join()}}`, dup: undefined },
    {
      name: 'escaped duplicate past the boundary',
      text: `{${keys(20).join()},"\\u006b19":0}`,
      dup: 'k19',
    },
    {
      name: 'child keys do not leak into a large parent',
      text: `{${keys(20).join()},"c":{"k40":1,"x":{"k41":1}},"k40":0,"k41":0}`,
      dup: undefined,
    },
    {
      name: 'a large child does not leak into its parent',
      text: `{"k1":0,"c":{${keys(30).join()}},"k2":0,"d":{${keys(30).join()}}}`,
      dup: undefined,
    },
    {
      name: 'parent keys survive a large child',
      text: `{"p":0,"c":{${keys(30).join()}},"p":1}`,
      dup: 'p',
    },
    {
      name: 'a large sibling does not leak into the next one',
      text: `[{${keys(20).join()}},{"k1":0,"k2":0}]`,
      dup: undefined,
    },
  ])('$name', ({ text, dup }) => {
    JSON.parse(text);
    expect(scanJson(text).duplicateKey).toBe(dup);
  });

  it('still flags a __proto__ key after the first duplicate', () => {
    expect(scanJson('{"a":1,"a":2,"b":{"__proto__":1}}')).toEqual({
      duplicateKey: 'a',
      maxDepth: 2,
      protoKey: true,
    });
    expect(scanJson('{"__proto_":1,"__proto__x":1}').protoKey).toBe(false);
  });

  it('stays fast on an object with 200,000 keys', () => {
    const text = `{${keys(200_000).join()},"k199999":0}`;
    const start = performance.now();
    expect(scanJson(text).duplicateKey).toBe('k199999');
    // A linear search per key would take minutes; the Set takes milliseconds.
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('never throws on text that is not JSON', () => {
    const random = prng(7);
    const alphabet = ['{', '}', '[', ']', '"', '\\', ',', ':', 'a', 'u', '0'];
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: Math.floor(random() * 60) }, () => pick(random, alphabet)).join('');
      expect(() => scanJson(text)).not.toThrow();
    }
  });
});
