// The test-only SBPL reader must itself be trustworthy: it accepts good profiles and rejects each
// class of malformed one. policy.sb, the shipped base profile, is checked with it here too.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSbpl, readSbplProfile } from '../../helpers/sbpl-reader.ts';
import { PROJECT_ROOT } from '../../helpers/warden.ts';

const GOOD = `(version 1)
(deny default) ; comment
(allow file-read* (subpath "/usr/lib") (literal (param "EXECUTABLE")))
(allow process-fork)
(deny file-read* (subpath (string-append (param "HOME") "/.ssh")))
(deny file-read* (require-all (regex #"^/Users/[^/]+(/|$)") (require-not (subpath "/Users/Shared"))))
(allow sysctl-read (sysctl-name-prefix "hw."))
(allow network-outbound (remote ip "*:*"))
`;

const rejects = (text: string): string => {
  try {
    readSbplProfile(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`accepted: ${text}`);
};

describe('sbpl reader', () => {
  it('accepts a well-formed profile and lists its rules and params', () => {
    const profile = readSbplProfile(GOOD);
    expect(profile.rules.map((r) => `${r.action} ${r.operations.join(' ')}`)).toEqual([
      'deny default',
      'allow file-read*',
      'allow process-fork',
      'deny file-read*',
      'deny file-read*',
      'allow sysctl-read',
      'allow network-outbound',
    ]);
    expect([...profile.params].sort()).toEqual(['EXECUTABLE', 'HOME']);
  });

  it('decodes string escapes', () => {
    expect(parseSbpl('("a\\"b\\\\c")')).toMatchObject([{ items: [{ kind: 'string', value: 'a"b\\c' }] }]);
  });

  it.each([
    ['a missing ")"', '(version 1)\n(deny default\n', /unbalanced "\(": missing "\)"/],
    ['an extra ")"', '(version 1)\n(deny default))\n', /unbalanced "\)"/],
    [
      'an invalid escape',
      '(version 1)\n(deny default)\n(allow file-read* (literal "/a\\q"))',
      /invalid string escape \\q/,
    ],
    [
      'an unterminated string',
      '(version 1)\n(deny default)\n(allow file-read* (literal "/a))',
      /unterminated string/,
    ],
    [
      'a raw newline in a string',
      '(version 1)\n(deny default)\n(allow file-read* (literal "/a\nb"))',
      /raw control/,
    ],
    [
      'an unknown operation',
      '(version 1)\n(deny default)\n(allow file-teleport)',
      /unknown operation file-teleport/,
    ],
    [
      'an unknown filter',
      '(version 1)\n(deny default)\n(allow file-read* (everything "/"))',
      /\(everything\): unknown filter/,
    ],
    ['a relative path', '(version 1)\n(deny default)\n(allow file-read* (subpath "usr"))', /not absolute/],
    [
      'a rule with no operation',
      '(version 1)\n(deny default)\n(allow (subpath "/usr"))',
      /names no operation/,
    ],
    ['a define', '(version 1)\n(deny default)\n(define x 1)', /must be \(allow/],
    ['no version', '(deny default)\n(allow process-fork)', /must start with \(version 1\)/],
    [
      'allow first',
      '(version 1)\n(allow process-fork)\n(deny default)',
      /first rule must be \(deny default\)/,
    ],
    ['allow default first', '(version 1)\n(allow default)', /first rule must be \(deny default\)/],
    [
      'deny default with a filter',
      '(version 1)\n(deny default (subpath "/"))',
      /first rule must be \(deny default\)/,
    ],
    ['a bad param name', '(version 1)\n(deny default)\n(allow file-read* (subpath (param "x y")))', /param/],
    ['a bad regex', '(version 1)\n(deny default)\n(allow file-read* (regex #"(["))', /invalid regex/],
  ])('rejects %s', (_name, text, message) => {
    expect(rejects(text)).toMatch(message);
  });
});

describe('policy.sb (the shipped base profile)', () => {
  const text = readFileSync(path.join(PROJECT_ROOT, 'policy.sb'), 'utf8');
  const profile = readSbplProfile(text);

  it('is well formed, starts with (version 1) then (deny default), and uses only known operations', () => {
    expect(profile.rules[0]).toMatchObject({ action: 'deny', operations: ['default'], filters: [] });
  });

  it('is parameterised only by EXECUTABLE and TMPDIR', () => {
    expect([...profile.params].sort()).toEqual(['EXECUTABLE', 'TMPDIR']);
  });

  it('allows nothing unconditionally except forking (no wildcard file, network or exec rule)', () => {
    const unconditional = profile.rules.filter((r) => r.action === 'allow' && r.filters.length === 0);
    expect(unconditional.flatMap((r) => r.operations)).toEqual(['process-fork', 'mach-host*']);
    expect(profile.rules.some((r) => r.operations.some((op) => op.startsWith('network')))).toBe(false);
  });

  it('never mentions the home directory, /Users or the keychains outside comments', () => {
    const code = text.replaceAll(/;.*$/gm, '');
    expect(code).not.toMatch(/"\/Users|Keychains|\.ssh|\.aws|"HOME"/);
  });
});
