import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WRITE_TOOLS } from '../../../src/config/policy-schema.ts';
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
  ['a', ['a*a'], false], // prefix and suffix may not overlap
  ['aba', ['ab*ba'], false],
  ['abba', ['ab*ba'], true],
  ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', ['*a*a*a*a*a*a*a*a*a*a*c'], false], // no catastrophic backtracking
];

describe('matchesGlob', () => {
  it.each(cases)('%j vs %j → %s', (name, globs, expected) => {
    expect(matchesGlob(name, globs)).toBe(expected);
  });
});

/** The matcher as it was, splitting both strings into code points on every call. */
function referenceMatches(name: string, globs: readonly string[]): boolean {
  const chars = Array.from(name);
  return globs.some((glob) => referenceMatchOne(chars, Array.from(glob)));
}
function referenceMatchOne(s: readonly string[], p: readonly string[]): boolean {
  let si = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    const pc = p[pi];
    if (pc !== undefined && pc !== '*' && (pc === '?' || pc === s[si])) {
      si++;
      pi++;
    } else if (pc === '*') {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}

describe('compiled globs match exactly as the code point matcher', () => {
  // Wildcards, ordinary characters, and both halves of a surrogate pair alone and together: a
  // literal prefix or suffix compared as UTF-16 must not match half of a pair in the name.
  const HIGH = '\uD83D';
  const LOW = '\uDE00';
  const unit = fc.constantFrom('*', '?', 'a', 'b', '_', HIGH, LOW, `${HIGH}${LOW}`, 'é');
  const text = (maxLength: number) => fc.array(unit, { maxLength }).map((parts) => parts.join(''));

  it('for random names and glob lists', () => {
    fc.assert(
      fc.property(text(8), fc.array(text(6), { maxLength: 4 }), (name, globs) => {
        expect(matchesGlob(name, globs)).toBe(referenceMatches(name, globs));
      }),
      { numRuns: 30_000 },
    );
  });

  it('for the default write globs', () => {
    const names = [
      'write_file',
      'write_',
      'writefile',
      'mkdir',
      'mkdirs',
      'xmkdir',
      'edit',
      'edit_x',
      '',
      'w',
    ];
    for (const name of names) {
      expect(matchesGlob(name, DEFAULT_WRITE_TOOLS)).toBe(referenceMatches(name, DEFAULT_WRITE_TOOLS));
    }
  });

  it('around surrogate pairs at a literal edge', () => {
    const pair = '\uD83D\uDE00';
    expect(matchesGlob(pair, ['\uD83D*'])).toBe(false); // the glob's lone high surrogate is not half the pair
    expect(matchesGlob(pair, ['*\uDE00'])).toBe(false);
    expect(matchesGlob('\uD83D', ['\uD83D*'])).toBe(true);
    expect(matchesGlob(`${pair}x`, [`${pair}*`])).toBe(true);
    expect(matchesGlob(`\uD83D${pair}`, [`*${pair}`])).toBe(true);
  });

  it('follows a glob list changed in place', () => {
    const globs = ['read_*'];
    expect(matchesGlob('write_file', globs)).toBe(false);
    globs.push('write_*');
    expect(matchesGlob('write_file', globs)).toBe(true);
    globs[1] = 'edit_*';
    expect(matchesGlob('write_file', globs)).toBe(false);
    globs.length = 0;
    expect(matchesGlob('read_file', globs)).toBe(false);
  });
});
