import { describe, expect, it } from 'vitest';
import { BodyMeter, RequestGate } from '../../../src/network/request-gate.ts';

const bytes = (text: string) => Buffer.from(text, 'latin1');
const get = (path: string, host: string) => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
const onlyApi = (head: { headers: Array<[string, string]> }) =>
  head.headers.find(([n]) => n === 'host')?.[1] === 'api.example.test' ? undefined : 'another host';

/** Feed `text` in pieces of `size` bytes; what went upstream, or the refusal. */
function feed(gate: RequestGate, text: string, size = 1): string {
  let out = '';
  for (let at = 0; at < text.length; at += size) {
    const result = gate.push(bytes(text.slice(at, at + size)));
    if ('refuse' in result) return `REFUSED: ${result.refuse}`;
    out += result.forward.toString('latin1');
  }
  return out;
}

describe('BodyMeter', () => {
  it('ends a chunked body after its trailers, however it is split', () => {
    const body = '5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n';
    for (const size of [1, 3, body.length]) {
      const meter = new BodyMeter({ kind: 'chunked' });
      let used = 0;
      for (let at = 0; at < body.length; at += size) {
        const step = meter.take(bytes(`${body}NEXT`.slice(at, at + size)));
        if ('bad' in step) throw new Error(step.bad);
        used += step.used;
        if (step.done) break;
      }
      expect(used).toBe(body.length);
      expect(meter.done).toBe(true);
    }
  });

  it('refuses malformed chunking', () => {
    for (const body of ['zz\r\n', '5\r\nhelloXX\r\n', '5\nhello']) {
      const step = new BodyMeter({ kind: 'chunked' }).take(bytes(body));
      expect('bad' in step).toBe(true);
    }
  });

  it('counts a Content-Length body', () => {
    const meter = new BodyMeter({ kind: 'length', length: 4 });
    expect(meter.take(bytes('abcdefgh'))).toEqual({ used: 4, done: true });
  });
});

describe('RequestGate', () => {
  it('checks every request of a tunnel, wherever the bodies end', () => {
    const first = `POST /a HTTP/1.1\r\nHost: api.example.test\r\nContent-Length: 3\r\n\r\nabc`;
    const second = `POST /b HTTP/1.1\r\nHost: api.example.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n`;
    for (const size of [1, 7, 1000]) {
      expect(feed(new RequestGate({ checkHead: onlyApi }), first + second, size)).toBe(first + second);
      expect(
        feed(new RequestGate({ checkHead: onlyApi }), first + get('/c', 'evil.example.test'), size),
      ).toMatch(/^REFUSED: another host/);
    }
  });

  it('does not take a request hidden in a body for one, nor the reverse', () => {
    const hidden = `POST /a HTTP/1.1\r\nHost: api.example.test\r\nContent-Length: 44\r\n\r\n${get('/x', 'evil.example.test')}`;
    expect(hidden.length - hidden.indexOf('\r\n\r\n') - 4).toBe(44);
    expect(feed(new RequestGate({ checkHead: onlyApi }), hidden, 5)).toBe(hidden);
  });

  it('drops what follows the one request of a plain-HTTP forward', () => {
    const gate = new RequestGate({
      checkHead: onlyApi,
      maxRequests: 1,
      inBody: { kind: 'length', length: 2 },
    });
    expect(feed(gate, `ok${get('/second', 'evil.example.test')}`, 4)).toBe('ok');
    const none = new RequestGate({ checkHead: onlyApi, maxRequests: 1, inBody: { kind: 'none' } });
    expect(feed(none, get('/second', 'api.example.test'))).toBe('');
  });

  it('refuses ambiguous framing inside a tunnel', () => {
    const smuggle = `POST / HTTP/1.1\r\nHost: api.example.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`;
    expect(feed(new RequestGate({ checkHead: onlyApi }), smuggle, 1000)).toMatch(
      /^REFUSED: .*request smuggling/,
    );
  });
});
