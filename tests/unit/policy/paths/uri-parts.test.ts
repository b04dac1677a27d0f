import { describe, expect, it } from 'vitest';
import { percentDecodeOnce, uriPathParts } from '../../../../src/policy/paths/uri-parts.ts';

describe('uriPathParts: what a consumer of a URI of any scheme may take for a path', () => {
  it.each([
    ['notes://../secret', ['../secret', 'secret']],
    ['notes://..%2Fsecret', ['..%2Fsecret', '../secret']],
    ['notes://%2E%2E/secret', ['%2E%2E/secret', '../secret', 'secret']],
    ['notes:///etc/passwd', ['/etc/passwd']],
    ['notes:../x', ['../x']],
    ['notes:/etc', ['/etc']],
    [
      'https://example.com/a/../b?q=1#f',
      ['example.com/a/../b?q=1#f', 'a/../b?q=1#f', 'example.com/a/../b', 'a/../b'],
    ],
    ['x://host', ['host']],
    ['notes://user:pw@..:8080/x', ['user:pw@..:8080/x', '../x', 'x']],
    ['http://localhost:3000', ['localhost:3000', 'localhost']],
    ['x://', []],
    ['mailto:a@b.c', ['a@b.c']],
    ['not a uri', []],
    ['/abs', []],
  ])('%j → %j', (uri, expected) => {
    expect(uriPathParts(uri)).toEqual(expected);
  });
});

describe('percentDecodeOnce', () => {
  it.each([
    ['plain', 'plain'],
    ['%2e%2E%2f', '../'],
    ['%252e', '%2e'],
    ['100%', '100%'],
    ['%zz%2F', '%zz/'],
    ['%e2%80%a5', '\u2025'],
    ['%ff', '\ufffd'],
  ])('%j → %j', (value, expected) => {
    expect(percentDecodeOnce(value)).toBe(expected);
  });
});
