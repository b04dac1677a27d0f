import { PROXY_USER } from './proxy-auth.ts';

/**
 * Pure: the variables that point a sandboxed server at its proxy at `127.0.0.1:port` (with the
 * session's credential in the URL's user info when given): HTTP_PROXY, HTTPS_PROXY and ALL_PROXY in
 * both cases, an empty NO_PROXY (nothing bypasses the proxy) and NODE_USE_ENV_PROXY=1 (Node's fetch
 * and http ignore the others without it). ALL_PROXY is the http:// form, not socks5h://: httpx cannot
 * even create a client for a SOCKS URL without the optional socksio package; the proxy speaks SOCKS5
 * on the same port anyway. The relay (relay-main.ts, self-contained on purpose) sets the same set.
 */
export function proxyEnvironment(port: number, credential?: string): Record<string, string> {
  const auth = credential === undefined ? '' : `${PROXY_USER}:${credential}@`;
  const proxy = `http://${auth}127.0.0.1:${port}`;
  return {
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    ALL_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
    all_proxy: proxy,
    NO_PROXY: '',
    no_proxy: '',
    NODE_USE_ENV_PROXY: '1',
  };
}
