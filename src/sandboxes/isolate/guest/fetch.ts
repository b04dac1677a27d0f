// The isolate's fetch. Requests go to the host (net-client.ts), which sends them through the warden's
// egress proxy only. Redirects are followed here (each hop is a new request the proxy decides again). A
// proxy refusal of plain HTTP is an ordinary 403 response whose body says how to allow the host; a
// refused HTTPS tunnel rejects with a TypeError whose message is the proxy's reason.
import { BodySource } from './body-stream.ts';
import { CONSUME } from './fetch-body.ts';
import { Headers, headersFromRaw } from './headers.ts';
import { netInfo, startRequest } from './net-client.ts';
import {
  INTERNAL,
  NULL_BODY,
  REDIRECTS,
  Request,
  type RequestInit,
  Response,
  parseUrl,
} from './request-response.ts';
import { unavailableError } from './unavailable.ts';
import { URL } from './url.ts';
import { type AbortSignal, DOMException } from './web-globals.ts';

const MAX_REDIRECTS = 20;

/** Node's "fetch failed" TypeError, with the reason in the message too (the user must see the rule). */
function fetchFailed(cause: Error & { code?: string }): TypeError {
  return new TypeError(`fetch failed: ${cause.message}`, { cause });
}

const abortReason = (signal: AbortSignal): unknown =>
  signal.reason ?? new DOMException('This operation was aborted', 'AbortError');

/** One hop: resolves with the response once its head arrived; the body streams into the Response. */
function send(
  url: URL,
  method: string,
  headers: Headers,
  body: Uint8Array | null,
  signal: AbortSignal,
  redirected: boolean,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      reject(
        fetchFailed(
          new Error(`unknown scheme ${url.protocol} (only http: and https: go through the warden's proxy)`),
        ),
      );
      return;
    }
    const https = url.protocol === 'https:';
    const sent = headers.pairs();
    const defaults: Array<[string, string]> = [
      ['accept', '*/*'],
      ['accept-language', '*'],
      ['sec-fetch-mode', 'cors'],
      ['user-agent', 'node'],
      ['accept-encoding', 'gzip, deflate, br'],
    ];
    for (const [name, value] of defaults) if (!headers.has(name)) sent.push([name, value]);
    let source: BodySource | undefined;
    const done = (): void => signal.removeEventListener('abort', onAbort);
    const onAbort = (): void => {
      request?.abort();
      done();
      if (source) source.fail(abortReason(signal));
      else reject(abortReason(signal));
    };
    let request: ReturnType<typeof startRequest> | undefined;
    try {
      request = startRequest(
        {
          protocol: https ? 'https:' : 'http:',
          hostname: url.hostname,
          port: url.port ? Number(url.port) : https ? 443 : 80,
          path: `${url.pathname || '/'}${url.search}`,
          method,
          headers: sent,
          body,
          decompress: true,
        },
        {
          response: (head) => {
            const hop = request;
            source = new BodySource(
              (on) => hop?.flow(on),
              () => hop?.abort(),
            );
            resolve(
              new Response(
                null,
                { status: head.status, statusText: head.statusText, headers: headersFromRaw(head.headers) },
                INTERNAL,
                {
                  source,
                  url: url.href,
                  redirected,
                  nullBody: method === 'HEAD' || NULL_BODY.has(head.status),
                  limit: Math.floor(netInfo().maxBodyBytes / 4),
                },
              ),
            );
          },
          data: (chunk) => source?.push(chunk),
          end: () => {
            done();
            source?.end();
          },
          error: (error) => {
            done();
            const failure = fetchFailed(error);
            if (source) source.fail(failure);
            else reject(failure);
          },
        },
      );
    } catch (error) {
      reject(fetchFailed(error as Error));
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * fetch(): through the warden's egress proxy when the profile allows hosts; otherwise it rejects with
 * the "not available under --profile isolate" error.
 */
export async function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  if (!netInfo().enabled) throw unavailableError('http', 'fetch');
  const request = new Request(input, init);
  const signal = request.signal;
  if (signal.aborted) throw abortReason(signal);
  let body = await request[CONSUME]();
  let url = parseUrl(request.url);
  let method = request.method;
  const headers = new Headers(request.headers);
  for (let hop = 0; ; hop++) {
    const response = await send(url, method, headers, body, signal, hop > 0);
    const location = response.headers.get('location');
    if (!REDIRECTS.has(response.status) || location === null || request.redirect === 'manual')
      return response;
    void response.body?.cancel();
    if (request.redirect === 'error')
      throw fetchFailed(new Error('unexpected redirect (redirect mode is "error")'));
    if (hop + 1 > MAX_REDIRECTS) throw fetchFailed(new Error('redirect count exceeded'));
    let next: URL;
    try {
      next = new URL(location, url.href);
    } catch (error) {
      throw fetchFailed(error as Error);
    }
    if (
      response.status === 303
        ? method !== 'HEAD'
        : (response.status === 301 || response.status === 302) && method === 'POST'
    ) {
      method = response.status === 303 && method === 'HEAD' ? 'HEAD' : 'GET';
      body = null;
      for (const name of [
        'content-type',
        'content-length',
        'content-encoding',
        'content-language',
        'content-location',
      ])
        headers.delete(name);
    }
    if (next.origin !== url.origin)
      for (const name of ['authorization', 'cookie', 'proxy-authorization', 'host']) headers.delete(name);
    url = next;
  }
}

export { Headers, Request, Response };
