import { describe, expect, it } from 'vitest';
import { readClientHelloSni } from '../../../src/network/client-hello.ts';
import { captureClientHello } from './capture-client-hello.ts';

describe('readClientHelloSni', () => {
  it('reads the server name of a real ClientHello, and asks for more when it is cut short', async () => {
    const hello = await captureClientHello('api.example.test');
    expect(readClientHelloSni(hello)).toEqual({ status: 'sni', name: 'api.example.test' });
    expect(readClientHelloSni(hello.subarray(0, 3))).toEqual({ status: 'more' });
    expect(readClientHelloSni(hello.subarray(0, hello.length - 1))).toEqual({ status: 'more' });
  });

  it('reports a ClientHello without SNI', async () => {
    expect(readClientHelloSni(await captureClientHello(undefined))).toEqual({ status: 'no-sni' });
  });

  it('reads a ClientHello split over two TLS records', async () => {
    const hello = await captureClientHello('split.example.test');
    const body = hello.subarray(5);
    const cut = 40;
    const record = (part: Buffer) =>
      Buffer.concat([Buffer.from([0x16, 3, 1, part.length >> 8, part.length & 0xff]), part]);
    const split = Buffer.concat([record(body.subarray(0, cut)), record(body.subarray(cut))]);
    expect(readClientHelloSni(split)).toEqual({ status: 'sni', name: 'split.example.test' });
  });

  it('refuses what is not a TLS handshake', () => {
    expect(readClientHelloSni(Buffer.from('GET / HTTP/1.1\r\n'))).toMatchObject({ status: 'not-tls' });
    expect(readClientHelloSni(Buffer.from([0x17, 3, 3, 0, 5, 1, 2, 3, 4, 5]))).toMatchObject({
      status: 'not-tls',
    });
  });
});
