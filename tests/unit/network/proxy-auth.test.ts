import { describe, expect, it } from 'vitest';
import { parseRequestHead } from '../../../src/network/http-head.ts';
import {
  PROXY_USER,
  hasProxyCredential,
  newProxyCredential,
  parseSocksUserPass,
} from '../../../src/network/proxy-auth.ts';
import { proxyEnvironment } from '../../../src/network/proxy-env.ts';

const CREDENTIAL = '0123456789abcdef0123456789abcdef';
const basic = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;

function head(...headers: string[]) {
  const parsed = parseRequestHead(
    Buffer.from(['CONNECT a.test:443 HTTP/1.1', 'Host: a.test:443', ...headers, '', ''].join('\r\n')),
  );
  if (parsed.status !== 'ok') throw new Error(parsed.status);
  return parsed.head;
}

describe('proxy credential', () => {
  it('is 32 fresh hex digits, safe in a URL as is', () => {
    const a = newProxyCredential();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(newProxyCredential()).not.toBe(a);
  });

  it('HTTP: exactly one Proxy-Authorization: Basic warden:CREDENTIAL', () => {
    expect(
      hasProxyCredential(head(`Proxy-Authorization: ${basic(`warden:${CREDENTIAL}`)}`), CREDENTIAL),
    ).toBe(true);
    expect(
      hasProxyCredential(
        head(`proxy-authorization: basic  ${Buffer.from(`warden:${CREDENTIAL}`).toString('base64')}`),
        CREDENTIAL,
      ),
    ).toBe(true);
    for (const bad of [
      [],
      [`Proxy-Authorization: ${basic(`warden:${CREDENTIAL.slice(1)}`)}`],
      [`Proxy-Authorization: ${basic(`warden:${CREDENTIAL}x`)}`],
      [`Proxy-Authorization: ${basic(`root:${CREDENTIAL}`)}`],
      [`Proxy-Authorization: ${basic(CREDENTIAL)}`],
      [`Proxy-Authorization: Bearer ${CREDENTIAL}`],
      [`Proxy-Authorization: ${basic(`warden:${CREDENTIAL}`)}`, `Proxy-Authorization: ${basic('x:y')}`],
      [`Authorization: ${basic(`warden:${CREDENTIAL}`)}`],
    ]) {
      expect(hasProxyCredential(head(...bad), CREDENTIAL), bad.join(' / ')).toBe(false);
    }
  });

  it('SOCKS5: the RFC 1929 request, whole or in pieces', () => {
    const frame = (user: string, password: string): Buffer =>
      Buffer.concat([
        Buffer.from([1, user.length]),
        Buffer.from(user),
        Buffer.from([password.length]),
        Buffer.from(password),
      ]);
    const good = frame(PROXY_USER, CREDENTIAL);
    expect(parseSocksUserPass(good, CREDENTIAL)).toEqual({ status: 'ok', length: good.length, valid: true });
    for (let cut = 0; cut < good.length; cut++)
      expect(parseSocksUserPass(good.subarray(0, cut), CREDENTIAL).status).toBe('more');
    expect(parseSocksUserPass(frame('root', CREDENTIAL), CREDENTIAL)).toMatchObject({ valid: false });
    expect(parseSocksUserPass(frame(PROXY_USER, ''), CREDENTIAL)).toMatchObject({ valid: false });
    expect(parseSocksUserPass(Buffer.from([5, 1, 0]), CREDENTIAL).status).toBe('bad');
  });

  it('the proxy variables carry it in the URL', () => {
    expect(proxyEnvironment(8080, CREDENTIAL).HTTPS_PROXY).toBe(`http://warden:${CREDENTIAL}@127.0.0.1:8080`);
    expect(proxyEnvironment(8080)).toMatchObject({ ALL_PROXY: 'http://127.0.0.1:8080', NO_PROXY: '' });
  });
});
