import { describe, expect, it } from 'vitest';
import { expandBraces, MESSAGE_EXPANSION_CHARS } from '../../../../src/policy/paths/braces.ts';

const budget = () => ({ chars: MESSAGE_EXPANSION_CHARS });
const expand = (pattern: string, limit = 256) => {
  const result = expandBraces(pattern, limit, budget());
  return result.ok ? [...result.forms].sort() : result.why;
};

describe('expandBraces', () => {
  it.each([
    ['no braces', ['no braces']],
    ['{a,b}c', ['ac', 'bc']],
    ['{/etc/passwd,x}/*.txt', ['/etc/passwd/*.txt', 'x/*.txt']],
    ['{..,x}/y', ['../y', 'x/y']],
    ['{a,{b,c}}x', ['ax', 'bx', 'cx']],
    ['{a,b}{c,d}', ['ac', 'ad', 'bc', 'bd']],
    ['{,a}b', ['ab', 'b']],
    ['**/*.{ts,js}', ['**/*.js', '**/*.ts']],
    // Literal, as in bash and the glob libraries: no comma at the group's own level.
    ['{a}', ['{a}']],
    ['{1..9}', ['{1..9}']],
    ['{a{b,c}}', ['{ab}', '{ac}']],
    ['a{b,c', ['a{b,c']],
    ['a}b,c{', ['a}b,c{']],
  ])('%j → %j', (pattern, expected) => {
    expect(expand(pattern)).toEqual(expected);
  });

  it('refuses more distinct results than the limit', () => {
    expect(expand('{a,b}'.repeat(8))).toHaveLength(256);
    expect(expand('{a,b}'.repeat(9))).toContain('more than 256');
  });

  it('collapses duplicates as it goes: "{,}" forty times is one string, found at once', () => {
    const started = performance.now();
    expect(expand(`{,}`.repeat(40) + 'x')).toEqual(['x']);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('costs one scan however many braces never close', () => {
    const started = performance.now();
    expect(expand('{'.repeat(8000) + 'x')).toEqual(['{'.repeat(8000) + 'x']);
    expect(expand('{a,b'.repeat(2000))).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('refuses patterns too long to expand, and stops when the message budget is spent', () => {
    expect(expand(`{a,b}${'x'.repeat(9000)}`)).toContain('too long');
    const shared = { chars: 100 };
    expect(expandBraces('{a,b}{c,d}', 256, shared).ok).toBe(true);
    expect(expandBraces(`{${'x'.repeat(40)},y}{c,d}`, 256, shared)).toEqual({
      ok: false,
      why: 'has too many brace expansions to check',
    });
    expect(shared.chars).toBeLessThan(0);
  });
});
