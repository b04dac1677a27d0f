import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeSite, walkStrings } from '../../../../src/policy/paths/walk.ts';

/** The walk as it was (a generator with a `where` closure per site): the visitor must match it exactly. */
function* referenceWalk(root: unknown, toolArguments: boolean) {
  type Location = { key: string | number; parent: Location | undefined };
  const describe = (at: Location | undefined): string => {
    const keys: (string | number)[] = [];
    for (let l = at; l !== undefined; l = l.parent) keys.push(l.key);
    let text = '';
    for (const key of keys.reverse()) {
      text += typeof key === 'number' ? `[${key}]` : text === '' ? key : `.${key}`;
    }
    return text === '' ? 'params' : text;
  };
  const stack: { value: unknown; at: Location | undefined; argument: string | undefined }[] = [
    { value: root, at: undefined, argument: undefined },
  ];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const { value, at, argument } = frame;
    if (typeof value === 'string') {
      yield { value, isKey: false, argument, where: describe(at) };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], at: { key: i, parent: at }, argument });
      }
    } else if (typeof value === 'object' && value !== null) {
      const isArgs = toolArguments && at !== undefined && at.parent === undefined && at.key === 'arguments';
      for (const [key, child] of Object.entries(value).reverse()) {
        const here: Location = { key, parent: at };
        yield { value: key, isKey: true, argument, where: `key of ${describe(here)}` };
        stack.push({ value: child, at: here, argument: isArgs ? key : argument });
      }
    }
  }
}

function visited(root: unknown, toolArguments: boolean) {
  const sites: { value: string; isKey: boolean; argument: string | undefined; where: string }[] = [];
  walkStrings(root, toolArguments, (value, isKey, argument, at) => {
    sites.push({ value, isKey, argument, where: describeSite(at, isKey) });
    return undefined;
  });
  return sites;
}

// JSON as parsed from the wire, with tools/call-like shapes and the odd keys that make `where` tricky.
const key = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('arguments', 'name', '', '__proto__', '0'));
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 6 }),
    fc.constantFrom(null, true, 1, -0.5),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}));
const params = fc.oneof(
  json.value,
  fc.record({ name: json.value, arguments: json.value }),
  fc.record({ arguments: fc.dictionary(key, json.value, { maxKeys: 4 }), other: json.value }),
);

describe('walkStrings', () => {
  it('visits the same strings, in the same order, with the same argument and location as the generator walk', () => {
    fc.assert(
      fc.property(params, fc.boolean(), (p, toolArguments) => {
        const root: unknown = JSON.parse(JSON.stringify(p) ?? 'null');
        expect(visited(root, toolArguments)).toEqual([...referenceWalk(root, toolArguments)]);
      }),
      { numRuns: 3000 },
    );
  });

  it('spells locations as before', () => {
    const root = JSON.parse('{"name":"t","arguments":{"files":["a",{"p":"b"}],"":["c"]}}');
    expect(visited(root, true)).toEqual([
      { value: 'arguments', isKey: true, argument: undefined, where: 'key of arguments' },
      { value: 'name', isKey: true, argument: undefined, where: 'key of name' },
      { value: 't', isKey: false, argument: undefined, where: 'name' },
      { value: '', isKey: true, argument: undefined, where: 'key of arguments.' },
      { value: 'files', isKey: true, argument: undefined, where: 'key of arguments.files' },
      { value: 'a', isKey: false, argument: 'files', where: 'arguments.files[0]' },
      { value: 'p', isKey: true, argument: 'files', where: 'key of arguments.files[1].p' },
      { value: 'b', isKey: false, argument: 'files', where: 'arguments.files[1].p' },
      { value: 'c', isKey: false, argument: '', where: 'arguments.[0]' },
    ]);
    expect(visited('root', false)).toEqual([
      { value: 'root', isKey: false, argument: undefined, where: 'params' },
    ]);
  });

  it('stops at the first site the visitor answers, and returns that answer', () => {
    const seen: string[] = [];
    const answer = walkStrings({ a: ['x', 'stop', 'y'], b: 'z' }, false, (value) => {
      seen.push(value);
      return value === 'stop' ? 42 : undefined;
    });
    expect(answer).toBe(42);
    expect(seen).toEqual(['b', 'a', 'x', 'stop']);
    expect(walkStrings({ a: 1 }, false, () => undefined)).toBeUndefined();
  });
});
