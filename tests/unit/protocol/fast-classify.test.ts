import { describe, it, expect } from 'vitest';
import { classifyMessage, fastClassify, validJsonRpcId } from '../../../src/protocol/json-rpc.ts';
import type { ClassifyResult } from '../../../src/protocol/json-rpc.ts';
import { classifyWithSchemas, JsonRpcIdSchema } from '../../../src/protocol/json-rpc-schemas.ts';

// classifyMessage takes a hand-written fast path and falls back to the zod schemas when it declines.
// These tests hold the fast path to the schemas: whatever it accepts, zod accepts with an identical
// message (same keys in the same order, same values, and the same copies: zod returns new objects for
// the message, the error object and params/result, and shares everything below with the input).

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

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const chance = (random: Random, p: number): boolean => random() < p;

const STRINGS = [
  '',
  'a',
  'tools/call',
  '2.0',
  'x'.repeat(256),
  'x'.repeat(257),
  '😀'.repeat(128), // 256 UTF-16 units
  '😀'.repeat(129), // 258 units but 129 code points (zod's max() counts code points)
  '\ud800'.repeat(257), // lone surrogates: one code point each
  '__proto__',
];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  1.5,
  -32601,
  2 ** 31,
  2 ** 53 - 1,
  2 ** 53,
  -(2 ** 53 - 1),
  -(2 ** 53),
  1e21,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Infinity,
  NaN,
];

/** Any value, JSON-shaped except for the odd undefined/NaN/Infinity a direct caller could pass. */
function anyValue(random: Random, depth = 0): unknown {
  const roll = random();
  if (roll < 0.2) return pick(random, STRINGS);
  if (roll < 0.4) return pick(random, NUMBERS);
  if (roll < 0.5) return pick(random, [null, true, false, undefined]);
  if (depth > 2 || roll < 0.7) return roll < 0.6 ? {} : [];
  if (roll < 0.85) return Array.from({ length: Math.floor(random() * 4) }, () => anyValue(random, depth + 1));
  return record(random, depth + 1);
}

const KEYS = ['a', 'name', 'arguments', 'content', 'tools', '1', '0', 'constructor', 'toString', 'jsonrpc'];

function record(random: Random, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = Math.floor(random() * 5);
  for (let i = 0; i < n; i++) out[pick(random, KEYS)] = anyValue(random, depth);
  if (chance(random, 0.03)) return JSON.parse('{"__proto__":{"x":1},"a":1}') as Record<string, unknown>;
  return out;
}

const ID = (random: Random): unknown =>
  chance(random, 0.6) ? pick(random, [1, 0, 42, 'abc', 'x'.repeat(256)]) : anyValue(random);

/** A message of one of the four shapes, then bent: wrong values, missing or extra keys. */
function message(random: Random): Record<string, unknown> {
  const m: Record<string, unknown> = { jsonrpc: '2.0' };
  const shape = pick(random, ['request', 'notification', 'result', 'error']);
  if (shape === 'request' || shape === 'result' || shape === 'error') m.id = ID(random);
  if (shape === 'request' || shape === 'notification') {
    m.method = chance(random, 0.7) ? pick(random, ['tools/call', 'ping', 'x']) : anyValue(random);
    if (chance(random, 0.7)) {
      m.params = chance(random, 0.6)
        ? record(random)
        : chance(random, 0.5)
          ? [1, { a: 2 }]
          : anyValue(random);
    }
  }
  if (shape === 'result') m.result = chance(random, 0.7) ? record(random) : anyValue(random);
  if (shape === 'error') {
    if (chance(random, 0.3)) m.id = pick(random, [null, ...NUMBERS]);
    if (chance(random, 0.85)) {
      const error: Record<string, unknown> = {};
      if (chance(random, 0.9))
        error.code = chance(random, 0.6) ? -32601 : pick(random, [...NUMBERS, '1', null]);
      if (chance(random, 0.9)) error.message = chance(random, 0.7) ? 'Method not found' : anyValue(random);
      if (chance(random, 0.4)) error.data = anyValue(random);
      if (chance(random, 0.1)) error[pick(random, ['extra', 'stack', 'Code'])] = 1;
      m.error = error;
    } else {
      m.error = anyValue(random);
    }
  }
  // Bend it.
  if (chance(random, 0.1)) m.jsonrpc = pick(random, ['1.0', '2.0 ', 2, null, undefined]);
  if (chance(random, 0.05)) delete m.jsonrpc;
  if (chance(random, 0.05)) delete m.id;
  if (chance(random, 0.1))
    m[pick(random, ['extra', 'method', 'result', 'error', 'params', 'id'])] = anyValue(random);
  return m;
}

/** Why `fast` is not what zod made of `input`, or undefined when it is. */
function difference(fast: unknown, zod: unknown, input: unknown, path: string): string | undefined {
  if (typeof zod !== 'object' || zod === null) {
    return Object.is(fast, zod) ? undefined : `${path}: ${String(fast)} instead of ${String(zod)}`;
  }
  if ((fast === input) !== (zod === input)) return `${path}: ${zod === input ? 'copied' : 'not copied'}`;
  if (zod === input) return undefined; // shared with the input by both
  if (typeof fast !== 'object' || fast === null) return `${path}: not an object`;
  if (Object.getPrototypeOf(fast) !== Object.getPrototypeOf(zod)) return `${path}: another prototype`;
  const keys = Reflect.ownKeys(zod);
  const fastKeys = Reflect.ownKeys(fast);
  if (keys.map(String).join() !== fastKeys.map(String).join()) {
    return `${path}: keys ${fastKeys.map(String).join()} instead of ${keys.map(String).join()}`;
  }
  for (const key of keys) {
    const a = Object.getOwnPropertyDescriptor(fast, key);
    const b = Object.getOwnPropertyDescriptor(zod, key);
    if (a?.enumerable !== b?.enumerable || a?.writable !== b?.writable)
      return `${path}.${String(key)}: flags`;
    const inner =
      typeof input === 'object' && input !== null ? (input as Record<PropertyKey, unknown>)[key] : undefined;
    const why = difference(a?.value, b?.value, inner, `${path}.${String(key)}`);
    if (why) return why;
  }
  return undefined;
}

function show(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v === undefined ? '<undefined>' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
}

/** A classifier's outcome, or what it threw. */
function outcome(classify: typeof classifyMessage, value: Record<string, unknown>): ClassifyResult | Error {
  try {
    return classify(value);
  } catch (error) {
    return error as Error;
  }
}

/** Compare the fast path and classifyMessage with zod on `value`; returns the problem, if any. */
function check(value: Record<string, unknown>): string | undefined {
  const zod = outcome(classifyWithSchemas, value);
  const combined = outcome(classifyMessage, value);
  if (zod instanceof Error || combined instanceof Error) {
    // Only for input JSON.parse cannot produce (describeIssue cannot name a symbol key).
    return combined instanceof Error && zod instanceof Error && combined.message === zod.message
      ? undefined
      : `threw: ${String(combined)} / ${String(zod)}`;
  }
  if (combined.ok !== zod.ok) return `classifyMessage ok=${combined.ok}, zod ok=${zod.ok}`;
  if (!combined.ok && !zod.ok && combined.reason !== zod.reason) return `reason ${combined.reason}`;
  const fast = fastClassify(value);
  if (fast === undefined) return undefined; // declined: zod decided, as compared above
  if (!zod.ok) return `fast path accepts what zod rejects (${zod.reason})`;
  if (fast.kind !== zod.value.kind) return `kind ${fast.kind} instead of ${zod.value.kind}`;
  return difference(fast.message, zod.value.message, value, 'message');
}

/** Where the fast path may decline a valid message: cases the schemas are left to decide. */
function mayDecline(value: Record<string, unknown>): boolean {
  const text = show(value);
  return (
    /"(constructor|__proto__)":/.test(text) ||
    (typeof value.id === 'string' && value.id.length > 256) ||
    Object.getPrototypeOf(value.params ?? value.result ?? {}) !== Object.prototype
  );
}

describe('fast classification', () => {
  it('agrees with the zod schemas on thousands of random messages, as built and as parsed from JSON', () => {
    const random = prng(0x5eed);
    const problems: string[] = [];
    const counts = { fast: 0, zodOnly: 0, rejected: 0 };
    for (let i = 0; i < 6000; i++) {
      const built = message(random);
      // JSON.parse output is what parseLine passes (other object layouts; no undefined, no -0).
      const parsed = JSON.parse(JSON.stringify(built)) as Record<string, unknown>;
      for (const value of [built, parsed]) {
        const problem = check(value);
        if (problem) problems.push(`${problem}: ${show(value)}`);
        const zodOk = classifyWithSchemas(value).ok; // JSON-shaped: no symbol keys, never throws
        if (fastClassify(value)) counts.fast++;
        else if (zodOk) {
          counts.zodOnly++;
          if (!mayDecline(value)) problems.push(`fast path declines a plain valid message: ${show(value)}`);
        } else counts.rejected++;
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    // The generator must exercise both sides, or the comparison proves little.
    expect(counts.fast).toBeGreaterThan(2000);
    expect(counts.rejected).toBeGreaterThan(2000);
  });

  it.each([
    ['request', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: {} } }],
    ['request, array params', { jsonrpc: '2.0', id: 'a', method: 'm', params: [1, [2], { b: 3 }] }],
    ['request, id -0', { jsonrpc: '2.0', id: -0, method: 'm' }],
    ['request, largest safe id', { jsonrpc: '2.0', id: 2 ** 53 - 1, method: 'm' }],
    ['request, 256-char id', { jsonrpc: '2.0', id: 'i'.repeat(256), method: 'm' }],
    ['request, params undefined', { jsonrpc: '2.0', id: 1, method: 'm', params: undefined }],
    ['notification', { jsonrpc: '2.0', method: 'notifications/initialized' }],
    ['notification with params', { jsonrpc: '2.0', method: 'n', params: { level: 'info' } }],
    ['result', { jsonrpc: '2.0', id: 3, result: { content: [{ type: 'text', text: 'hi' }] } }],
    ['empty result', { jsonrpc: '2.0', id: 3, result: {} }],
    ['error', { jsonrpc: '2.0', id: 4, error: { code: -32601, message: 'no' } }],
    ['error, id null and data', { jsonrpc: '2.0', id: null, error: { code: 1, message: '', data: [1] } }],
    ['error, data undefined', { jsonrpc: '2.0', id: 5, error: { code: -0, message: 'm', data: undefined } }],
  ])('takes the fast path for a valid %s, with the message zod makes', (_name, value) => {
    expect(fastClassify(value)).toBeDefined();
    expect(check(value)).toBeUndefined();
  });

  const withSymbol = { a: 1, [Symbol('s')]: 2 };
  const hidden = Object.defineProperty({ a: 1 }, 'b', { value: 2, enumerable: false });
  it.each([
    ['id 1.5', { jsonrpc: '2.0', id: 1.5, method: 'm' }],
    ['id 2^53', { jsonrpc: '2.0', id: 2 ** 53, method: 'm' }],
    ['id 1e21', { jsonrpc: '2.0', id: 1e21, method: 'm' }],
    ['id of 257 chars', { jsonrpc: '2.0', id: 'i'.repeat(257), method: 'm' }],
    ['id of 129 emoji (258 units, 129 code points)', { jsonrpc: '2.0', id: '😀'.repeat(129), method: 'm' }],
    ['id null in a request', { jsonrpc: '2.0', id: null, method: 'm' }],
    ['id undefined', { jsonrpc: '2.0', id: undefined, method: 'm' }],
    ['empty method', { jsonrpc: '2.0', id: 1, method: '' }],
    ['params null', { jsonrpc: '2.0', id: 1, method: 'm', params: null }],
    ['params a string', { jsonrpc: '2.0', method: 'm', params: 'p' }],
    ['an unknown key', { jsonrpc: '2.0', id: 1, method: 'm', extra: undefined }],
    ['method and result', { jsonrpc: '2.0', id: 1, method: 'm', result: {} }],
    ['result and error', { jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'm' } }],
    ['result an array', { jsonrpc: '2.0', id: 1, result: [] }],
    ['result null', { jsonrpc: '2.0', id: 1, result: null }],
    ['result a Date', { jsonrpc: '2.0', id: 1, result: new Date(0) }],
    ['result with a null prototype', { jsonrpc: '2.0', id: 1, result: Object.create(null) as object }],
    ['result with a symbol key', { jsonrpc: '2.0', id: 1, result: withSymbol }],
    ['result with a non-enumerable key', { jsonrpc: '2.0', id: 1, result: hidden }],
    [
      'result with a __proto__ key',
      { jsonrpc: '2.0', id: 1, result: JSON.parse('{"__proto__":1}') as object },
    ],
    ['result with a constructor key', { jsonrpc: '2.0', id: 1, result: { constructor: 'x' } }],
    ['error code 1.5', { jsonrpc: '2.0', id: 1, error: { code: 1.5, message: 'm' } }],
    ['error without message', { jsonrpc: '2.0', id: 1, error: { code: 1 } }],
    ['error with an extra key', { jsonrpc: '2.0', id: 1, error: { code: 1, message: 'm', stack: '' } }],
    ['error an array', { jsonrpc: '2.0', id: 1, error: [] }],
    ['error without id', { jsonrpc: '2.0', error: { code: 1, message: 'm' } }],
    ['wrong jsonrpc', { jsonrpc: '1.0', id: 1, method: 'm' }],
    ['no jsonrpc', { id: 1, method: 'm' }],
    ['nothing', { jsonrpc: '2.0', id: 1 }],
  ])('agrees with zod on %s', (_name, value) => {
    expect(check(value as Record<string, unknown>)).toBeUndefined();
  });

  it('validJsonRpcId agrees with JsonRpcIdSchema', () => {
    for (const id of [...STRINGS, ...NUMBERS, null, true, undefined, {}, [], [1], { id: 1 }]) {
      const zod = JsonRpcIdSchema.safeParse(id);
      const expected = zod.success ? zod.data : undefined;
      expect(Object.is(validJsonRpcId(id), expected), show(id)).toBe(true);
    }
  });
});
