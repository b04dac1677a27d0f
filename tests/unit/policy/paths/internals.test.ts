import { describe, expect, it } from 'vitest';
import { PolicySchema } from '../../../../src/config/policy-schema.ts';
import { anchorReading, anchorValue, isWithin } from '../../../../src/policy/paths/anchor.ts';
import { readFileUri } from '../../../../src/policy/paths/file-uri.ts';
import { isPathLike } from '../../../../src/policy/paths/forms.ts';
import { kernelResolve } from '../../../../src/policy/paths/kernel.ts';
import { createResolver } from '../../../../src/policy/paths/resolver.ts';

// A fake host: /r is the root, /r/out -> /etc, /r/in -> d (relative), /r/d/up -> .. (relative),
// /r/loop -> /r/loop; everything else is a plain entry or missing (readlink says undefined for both).
const links = new Map([
  ['/r/in', 'd'],
  ['/r/out', '/etc'],
  ['/r/d/up', '..'],
  ['/r/loop', '/r/loop'],
]);
const fakeReadlink = (p: string) => links.get(p);

describe('kernelResolve', () => {
  it.each([
    ['/r/d/x', '/r/d/x'],
    ['/r/in/x', '/r/d/x'],
    ['/r/out/passwd', '/etc/passwd'],
    ['/r/out/../x', '/x'],
    ['/r/in/../x', '/r/x'],
    ['/r/new/../out/x', '/etc/x'],
    ['/r/new/deeper/../../in', '/r/d'],
    ['/r//./d/', '/r/d'],
    ['/../../r', '/r'],
    ['/r/d/up/out/passwd', '/etc/passwd'],
    ['/r/in/up/in/x', '/r/d/x'],
  ])('%s → %s', (raw, expected) => {
    expect(kernelResolve(raw, fakeReadlink)).toBe(expected);
  });

  it('one readlink per component (linear, not one realpath per prefix), and a loop ends', () => {
    const seen: string[] = [];
    kernelResolve('/a/b/c/d/e', (p) => {
      seen.push(p);
      return undefined;
    });
    expect(seen).toEqual(['/a', '/a/b', '/a/b/c', '/a/b/c/d', '/a/b/c/d/e']);
    expect(kernelResolve('/r/loop/x', fakeReadlink)).toBe('/r/loop/x');
  });
});

describe('isWithin is component-wise', () => {
  it.each([
    ['/data', '/data', true],
    ['/data/x', '/data', true],
    ['/data-evil', '/data', false],
    ['/dat', '/data', false],
    ['/anything', '/', true],
  ])('%s in %s → %s', (p, dir, expected) => {
    expect(isWithin(p, dir)).toBe(expected);
  });
});

describe('readFileUri', () => {
  it.each([
    ['file:///a/b', ['/a/b']],
    ['file://localhost/a', ['/a']],
    ['file://LOCALHOST/a', ['/a']],
    ['file:/a', ['/a']],
    ['file:///a%20b', ['/a b']],
    ['file:///a?q#f', ['/a?q#f', '/a']],
    ['file:///a%3Fb', ['/a?b']],
    ['file://host/a', 'remote host'],
    ['file://localhost:80/a', 'remote host'],
    ['file://user@localhost/a', 'remote host'],
    ['file:a', 'without an absolute path'],
    ['file://', 'without an absolute path'],
    ['file:///%252e', 'twice'],
    ['file:///%e0%a4', 'malformed'],
    ['file:///a\\b', 'backslash'],
  ] as [string, string[] | string][])('%s', (uri, expected) => {
    const reading = readFileUri(uri);
    if (typeof expected === 'string') expect(reading.ok ? 'ok' : reading.why).toContain(expected);
    else expect(reading).toEqual({ ok: true, paths: expected });
  });
});

describe('isPathLike', () => {
  it.each([
    ['/abs', true],
    ['~', true],
    ['~/x', true],
    ['~root', true],
    ['~ approximately', false],
    ['file:x', true],
    ['FiLe:x', true],
    ['a/../b', true],
    ['a\\..\\b', true],
    ['..', true],
    ['a..b', false],
    ['x\u0000', true],
    ['C:\\x', true],
    ['c:/x', true],
    ['\\\\srv\\share', true],
    ['relative/x', false],
    ['hello world', false],
    ['https://example.com/x', false],
    ['\uFF0Fetc', true], // NFKC "/etc"
    ['\u2025/x', true], // NFKC "../x"
    ['  /etc', true], // trimmed
  ])('%j → %s', (value, expected) => {
    expect(isPathLike(value)).toBe(expected);
  });
});

describe('resolver budget', () => {
  const ctx = {
    policy: PolicySchema.parse({}),
    roots: [{ path: '/r', realPath: '/r', readOnly: false }],
    home: '/r',
    realpath: (p: string) => p,
    readlink: fakeReadlink,
  };
  const noRealpath = (): string | undefined => undefined;

  it('memoises lookups within one message', () => {
    let calls = 0;
    const resolver = createResolver(noRealpath, (p) => {
      calls++;
      return fakeReadlink(p);
    });
    anchorValue('/r/d/a', ctx, resolver);
    anchorValue('/r/d/b', ctx, resolver);
    expect(calls).toBe(4); // "/r", "/r/d", "/r/d/a", "/r/d/b"
  });

  it('refuses instead of trusting a partial answer once the budget is spent', () => {
    expect(anchorValue('/r/d/a', ctx, createResolver(noRealpath, fakeReadlink, 2))).toEqual({
      inside: false,
      why: 'needs too many filesystem lookups to anchor',
    });
    expect(anchorValue('/r/d/a', ctx, createResolver(noRealpath, fakeReadlink, 10))).toEqual({
      inside: true,
      readOnly: false,
    });
  });
});

describe('relative names are followed only where their first component exists', () => {
  const ctx = {
    policy: PolicySchema.parse({}),
    roots: [{ path: '/r', realPath: '/r', readOnly: false }],
    home: '/r',
    realpath: (p: string) => p,
    readlink: fakeReadlink,
  };
  const existing = new Set(['/r/out', '/r/in', '/r/d']);

  it('one lookup for a name that reaches nothing, however deep', () => {
    const seen: string[] = [];
    const resolver = createResolver(
      () => undefined,
      (p) => (seen.push(p), fakeReadlink(p)),
      100,
      (p) => (seen.push(`exists ${p}`), existing.has(p)),
    );
    const reading = { ok: true as const, paths: [], entries: [['/r', 'missing/a/b/c'] as const] };
    expect(anchorReading(reading, ctx, resolver)).toEqual({ inside: true, readOnly: false });
    expect(seen).toEqual(['exists /r/missing']);
  });

  it('follows an existing one through its symlinks', () => {
    const resolver = createResolver(
      () => undefined,
      fakeReadlink,
      100,
      (p) => existing.has(p),
    );
    const out = { ok: true as const, paths: [], entries: [['/r', 'out/passwd'] as const] };
    const inside = { ok: true as const, paths: [], entries: [['/r', 'in/x'] as const] };
    expect(anchorReading(out, ctx, resolver)).toMatchObject({ inside: false });
    expect(anchorReading(inside, ctx, resolver)).toEqual({ inside: true, readOnly: false });
  });

  it('without an exists lookup, asks readlink then realpath', () => {
    const resolver = createResolver((p) => (existing.has(p) ? p : undefined), fakeReadlink);
    expect(resolver.exists('/r/out')).toBe(true); // a symlink: readlink answers
    expect(resolver.exists('/r/d')).toBe(true); // a directory: realpath answers
    expect(resolver.exists('/r/nothing')).toBe(false);
  });
});
