import { describe, expect, it } from 'vitest';
import { normalizeHostName, parseHostPattern } from '../../../src/network/host-pattern.ts';

function ok(text: string) {
  const result = parseHostPattern(text);
  if (!result.ok) throw new Error(result.error);
  return result.pattern;
}

describe('parseHostPattern', () => {
  it('reads exact names, wildcards and ports (80 and 443 when none is named)', () => {
    expect(ok('api.github.com')).toMatchObject({
      kind: 'name',
      name: 'api.github.com',
      subdomains: false,
      ports: [80, 443],
    });
    expect(ok('*.githubusercontent.example')).toMatchObject({
      name: 'githubusercontent.example',
      subdomains: true,
    });
    expect(ok('uploads.example.com:8443')).toMatchObject({ name: 'uploads.example.com', ports: [8443] });
    expect(ok('API.Example.TEST.')).toMatchObject({ name: 'api.example.test' });
    expect(ok('bücher.example')).toMatchObject({ name: 'xn--bcher-kva.example' });
  });

  it('reads IP literals and CIDRs in any spelling', () => {
    expect(ok('10.1.2.3')).toMatchObject({ kind: 'address', base: { address: '10.1.2.3' }, prefix: 32 });
    expect(ok('10.0.0.0/8')).toMatchObject({ kind: 'address', prefix: 8 });
    expect(ok('0x7f.1:8080')).toMatchObject({ base: { address: '127.0.0.1' }, ports: [8080] });
    expect(ok('[fd00::1]:8443')).toMatchObject({ base: { family: 6, address: 'fd00::1' }, ports: [8443] });
    expect(ok('fd00::/8')).toMatchObject({ base: { family: 6 }, prefix: 8 });
  });

  it.each([
    ['*', 'every host'],
    ['*.*', 'every host'],
    ['*.com', 'public suffix'],
    ['*.io', 'public suffix'],
    ['*.co.uk', 'public suffix'],
    ['*.github.io', 'public suffix'],
    ['api.*.com', 'leading'],
    ['api*.example.com', 'leading'],
    ['https://api.github.com', 'no scheme'],
    ['api.github.com/repos', 'no path'],
    ['user@api.github.com', 'user name'],
    ['api.github.com:0', 'out of range'],
    ['api.github.com:65536', 'out of range'],
    ['api.github.com:http', 'not a port'],
    ['api..github.com', 'not a valid host name'],
    ['-bad.example.com', 'not a valid host name'],
    ['', 'empty'],
    ['0.0.0.0/0', 'every address'],
  ])('refuses %s (%s) and says what to write instead', (text, why) => {
    const result = parseHostPattern(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain(why);
    expect(result.hint.length).toBeGreaterThan(5);
  });

  it('tells what to write instead of a URL', () => {
    const result = parseHostPattern('https://api.github.com/v3');
    expect(result.ok ? '' : result.hint).toContain('api.github.com');
  });
});

describe('normalizeHostName', () => {
  it('lower-cases, drops one trailing dot and converts to punycode', () => {
    expect(normalizeHostName('API.EXAMPLE.TEST.')).toBe('api.example.test');
    expect(normalizeHostName('exаmple.test')).toBe('xn--exmple-4nf.test'); // Cyrillic "а": a different name
    expect(normalizeHostName('a..b')).toBeUndefined();
    expect(normalizeHostName('a b.test')).toBeUndefined();
  });
});
