import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../src/errors.ts';
import { canonicalMacPath, isWithin } from '../../../src/sandboxes/seatbelt/mac-path.ts';
import { sbplString } from '../../../src/sandboxes/seatbelt/sbpl-string.ts';
import { parseSbpl } from '../../helpers/sbpl-reader.ts';

describe('canonicalMacPath', () => {
  it.each([
    ['/var/folders/x/T/a', '/private/var/folders/x/T/a'],
    ['/var', '/private/var'],
    ['/tmp/x/', '/private/tmp/x'],
    ['/etc/hosts', '/private/etc/hosts'],
    ['/private/tmp/x', '/private/tmp/x'],
    ['/variable/x', '/variable/x'],
    ['/tmpfoo', '/tmpfoo'],
    ['/Users/me//a/./b/../c', '/Users/me/a/c'],
    ['/', '/'],
    ['/Users/me/Données', '/Users/me/Données'],
  ])('%s → %s', (input, output) => {
    expect(canonicalMacPath(input, 'test')).toBe(output);
  });

  it.each(['relative', '/a\nb', '/a\u0000b', '/a\u007fb'])('refuses %j with a config error', (bad) => {
    expect(() => canonicalMacPath(bad, 'root')).toThrow(WardenError);
  });

  it('isWithin compares components, not string prefixes', () => {
    expect(isWithin('/Users/me/data', '/Users/me')).toBe(true);
    expect(isWithin('/Users/me', '/Users/me')).toBe(true);
    expect(isWithin('/Users/meow', '/Users/me')).toBe(false);
    expect(isWithin('/x', '/')).toBe(true);
  });
});

describe('sbplString', () => {
  it.each([
    ['/plain/path', '"/plain/path"'],
    ['/with space', '"/with space"'],
    ['/q"uote', '"/q\\"uote"'],
    ['/back\\slash', '"/back\\\\slash"'],
    ['/end\\', '"/end\\\\"'],
    ['/日本語/été', '"/日本語/été"'],
  ])('%s → %s, and reads back unchanged', (value, literal) => {
    expect(sbplString(value)).toBe(literal);
    expect(parseSbpl(`(${sbplString(value)})`)).toMatchObject([{ items: [{ kind: 'string', value }] }]);
  });

  it.each(['/a\nb', '/a\u0000', '/a\tb'])('refuses control characters in %j', (bad) => {
    expect(() => sbplString(bad)).toThrow(/control character/);
  });
});
