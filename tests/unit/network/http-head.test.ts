import { describe, expect, it } from 'vitest';
import { bodyFraming, parseRequestHead } from '../../../src/network/http-head.ts';

const parse = (text: string) => parseRequestHead(Buffer.from(text, 'latin1'));
const head = (headers: string, version = 'HTTP/1.1') =>
  `POST http://api.example.test/x ${version}\r\nHost: api.example.test\r\n${headers}\r\n`;

describe('parseRequestHead: body framing (request smuggling)', () => {
  it.each([
    ['Content-Length with Transfer-Encoding', 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'],
    ['Transfer-Encoding before Content-Length', 'Transfer-Encoding: chunked\r\nContent-Length: 5\r\n'],
    ['two different Content-Length', 'Content-Length: 1\r\nContent-Length: 50\r\n'],
    ['two equal Content-Length', 'Content-Length: 5\r\nContent-Length: 5\r\n'],
    ['a Content-Length list', 'Content-Length: 5, 5\r\n'],
    ['a signed Content-Length', 'Content-Length: +5\r\n'],
    ['a hex Content-Length', 'Content-Length: 0x5\r\n'],
    ['two Transfer-Encoding', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n'],
    ['a coding list', 'Transfer-Encoding: gzip, chunked\r\n'],
    ['an unknown coding', 'Transfer-Encoding: xchunked\r\n'],
  ])('refuses %s', (_name, headers) => {
    const result = parse(head(headers));
    expect(result.status).toBe('bad');
    expect(result.status === 'bad' && result.reason).toContain('request smuggling');
  });

  it('refuses Transfer-Encoding in HTTP/1.0', () => {
    expect(parse(head('Transfer-Encoding: chunked\r\n', 'HTTP/1.0')).status).toBe('bad');
  });

  it('reads one Content-Length, one chunked coding (any case) or no body', () => {
    const framing = (headers: string) => {
      const result = parse(head(headers));
      if (result.status !== 'ok') throw new Error(JSON.stringify(result));
      return bodyFraming(result.head);
    };
    expect(framing('Content-Length: 12\r\n')).toEqual({ kind: 'length', length: 12 });
    expect(framing('Content-Length: 0\r\n')).toEqual({ kind: 'none' });
    expect(framing('Transfer-Encoding: Chunked\r\n')).toEqual({ kind: 'chunked' });
    expect(framing('')).toEqual({ kind: 'none' });
  });
});
