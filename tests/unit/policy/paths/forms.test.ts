import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FILE_SCHEME,
  hasFileScheme,
  isPathLike,
  surfaceForms,
  WINDOWS_PATH,
} from '../../../../src/policy/paths/forms.ts';

// The checks as they were, every surface form built and tested: the fast exits must agree exactly.
const referenceLooksLikePath = (form: string): boolean =>
  form.startsWith('/') ||
  /^~[^\s/]*(?:\/|$)/.test(form) ||
  FILE_SCHEME.test(form) ||
  WINDOWS_PATH.test(form) ||
  form.split(/[\\/]/).includes('..');
const referenceIsPathLike = (value: string): boolean =>
  value.includes('\0') || surfaceForms(value).some(referenceLooksLikePath);
const referenceHasFileScheme = (value: string): boolean =>
  surfaceForms(value).some((form) => FILE_SCHEME.test(form));

// Characters each check turns on, what trimming, URL-cleaning and NFKC delete or fold into them
// (fullwidth solidus, two-dot leader, fullwidth full stop and colon, ideographic space, NBSP), and
// lone surrogates.
const ALPHABET = [
  ...['.', '/', '\\', ':', '~', 'f', 'i', 'l', 'e', 'F', 'C', 'a', ' ', '\t', '\n', '\r', '\v', '\f'],
  ...[
    '\0',
    '\x01',
    '\x1f',
    '\x7f',
    '\uFF0F',
    '\u2025',
    '\uFF0E',
    '\uFF1A',
    '\u3000',
    '\u00A0',
    '\uD800',
    '😀',
  ],
];

describe('isPathLike and hasFileScheme agree with testing every surface form', () => {
  it('for every string of up to 3 characters from the alphabet', () => {
    const strings = [''];
    for (let length = 1, layer = ['']; length <= 3; length++) {
      layer = layer.flatMap((s) => ALPHABET.map((c) => s + c));
      strings.push(...layer);
    }
    for (const s of strings) {
      expect([s, isPathLike(s)]).toEqual([s, referenceIsPathLike(s)]);
      expect([s, hasFileScheme(s)]).toEqual([s, referenceHasFileScheme(s)]);
    }
  });

  it('for longer strings built from the alphabet and from path and URI pieces', () => {
    const piece = fc.oneof(
      fc.constantFrom(...ALPHABET),
      fc.constantFrom('..', 'file:', 'FILE:', '~/', '~user', 'C:', '\\\\', 'hello', ' world.', '\t\n'),
    );
    const value = fc.oneof(
      fc.array(piece, { maxLength: 10 }).map((parts) => parts.join('')),
      fc.string(),
      fc.string({ unit: 'binary' }),
    );
    fc.assert(
      fc.property(value, (s) => {
        expect(isPathLike(s)).toBe(referenceIsPathLike(s));
        expect(hasFileScheme(s)).toBe(referenceHasFileScheme(s));
      }),
      { numRuns: 20_000 },
    );
  });

  it('plain text only counts as a path when some form of it is exactly ".."', () => {
    for (const s of ['..', ' .. ', '.\t\n.', '\x01..\x1f', '\t. .'])
      expect([s, isPathLike(s)]).toEqual([s, s !== '\t. .']);
    for (const s of ['...', 'a..', '..b', 'Hello there. Fine.', '. .'])
      expect([s, isPathLike(s)]).toEqual([s, false]);
  });
});
