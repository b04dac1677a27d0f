import { describe, expect, it } from 'vitest';
import { matchesGlob } from '../../../src/policy/glob.ts';

const cases: [string, string[], boolean][] = [
  ['read_file', ['*'], true],
  ['', ['*'], true],
  ['read_file', ['read_file'], true],
  ['read_file', ['read_*'], true],
  ['read_file', ['*_file'], true],
  ['read_file', ['r*d*e'], true],
  ['read_file', ['read_fil?'], true],
  ['read_file', ['read_fil'], false], // anchored at the end
  ['xread_file', ['read_*'], false], // anchored at the start
  ['read_file', ['READ_*'], false], // case-sensitive
  ['read.file', ['read?file'], true],
  ['readXfile', ['read.file'], false], // . is literal, not a regex
  ['a+b', ['a+b'], true],
  ['aab', ['a+b'], false],
  ['(x)', ['(x)'], true],
  ['[ab]', ['[ab]'], true],
  ['a', ['[ab]'], false],
  ['emoji_😀', ['emoji_?'], true], // ? is one code point
  ['tool', [], false],
  ['write_file', ['read_*', 'write_*'], true],
  ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', ['*a*a*a*a*a*a*a*a*a*a*c'], false], // no catastrophic backtracking
];

describe('matchesGlob', () => {
  it.each(cases)('%j vs %j → %s', (name, globs, expected) => {
    expect(matchesGlob(name, globs)).toBe(expected);
  });
});
