// Content guards and tool pinning are on by default in every profile: turning one off must be a
// visible, deliberate diff.
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, loadProfile } from '../../src/config/load-profile.ts';
import { PolicySchema } from '../../src/config/policy-schema.ts';
import { SECRET_PATTERNS } from '../../src/guards/secret-patterns.ts';
import { stripControls } from '../../src/guards/strip-controls.ts';

/** Code points (outside surrogates) that stripControls removes when they stand alone between letters. */
function strippedRanges(): string[] {
  const hex = (n: number): string => `U+${n.toString(16).toUpperCase().padStart(4, '0')}`;
  const ranges: string[] = [];
  let start = -1;
  let last = -1;
  const close = (): void => {
    if (start >= 0) ranges.push(start === last ? hex(start) : `${hex(start)}-${hex(last)}`);
    start = -1;
  };
  // The BMP, planes 1 and 2, and plane 14 (tags, variation selectors supplement).
  const planes = [
    [0, 0x2ffff],
    [0xe0000, 0xe0fff],
  ] as const;
  for (const [from, to] of planes) {
    for (let cp = from; cp <= to; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (stripControls(`a${String.fromCodePoint(cp)}b`)) {
        if (start < 0) start = cp;
        last = cp;
      } else close();
    }
    close();
  }
  return ranges;
}

describe('pinned guard defaults', () => {
  it('policy.guards defaults', () => {
    expect(PolicySchema.parse({}).guards).toEqual({
      redactSecrets: true,
      stripControls: true,
      poisonedTools: 'high',
      pinTools: true,
    });
  });

  it('every built-in profile keeps them on', () => {
    for (const name of BUILTIN_PROFILES) {
      expect(loadProfile(name).policy.guards, name).toEqual(PolicySchema.parse({}).guards);
    }
  });

  // Issue 20 item 14: escapes, bidi controls and invisible characters (tag characters and other
  // default-ignorables that hide text). Joiners and variation selectors are removed only in runs.
  it('characters the control guard removes', () => {
    expect(strippedRanges()).toEqual([
      'U+001B',
      'U+0080-U+009F',
      'U+034F',
      'U+115F-U+1160',
      'U+17B4-U+17B5',
      'U+180E',
      'U+200B',
      'U+202A-U+202E',
      'U+2060-U+206F',
      'U+3164',
      'U+FEFF',
      'U+FFA0',
      'U+FFF0-U+FFFB',
      'U+1BCA0-U+1BCA3',
      'U+1D173-U+1D17A',
      'U+E0000-U+E00FF',
      'U+E01F0-U+E0FFF',
    ]);
    expect(stripControls('a\u200d\u200db')).toEqual({ text: 'a\u200db', removed: 1 });
    expect(stripControls('a\ufe0f\ufe0fb')).toEqual({ text: 'a\ufe0fb', removed: 1 });
  });

  it('secret pattern ids', () => {
    expect(SECRET_PATTERNS.map((p) => p.id)).toEqual([
      'private-key',
      'aws-access-key-id',
      'aws-secret-access-key',
      'github-token',
      'gitlab-token',
      'slack-token',
      'google-api-key',
      'stripe-key',
      'anthropic-api-key',
      'openai-api-key',
      'npm-token',
      'jwt',
      'connection-string-password',
    ]);
  });
});
