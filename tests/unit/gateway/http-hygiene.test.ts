import { describe, expect, it } from 'vitest';
import { GatewayConfigSchema } from '../../../src/config/gateway-schema.ts';
import { bearerChallenge } from '../../../src/gateway/challenge.ts';
import { checkOrigin } from '../../../src/gateway/origin-check.ts';
import { RateLimiter } from '../../../src/gateway/rate-limiter.ts';

const servers = { s: { command: ['x'] } };

describe('RateLimiter.check', () => {
  it('says whether a take would succeed without taking', () => {
    let now = 0;
    const limiter = new RateLimiter(2, () => now);
    expect(limiter.check('a')).toEqual({ ok: true });
    limiter.take('a');
    limiter.take('a');
    expect(limiter.check('a')).toEqual({ ok: false, retryAfterSec: 30 });
    expect(limiter.check('a')).toEqual({ ok: false, retryAfterSec: 30 });
    now += 30_000;
    expect(limiter.check('a')).toEqual({ ok: true });
    expect(limiter.take('a')).toEqual({ ok: true });
  });
});

describe('Host syntax', () => {
  const open = { loopbackOnly: false, allowedHosts: [], allowedOrigins: [] };
  it.each(['mcp.example.com', 'mcp.example.com:8443', '10.0.0.5:8080', '[::1]:80', 'svc_name'])(
    'accepts %s on a gateway that takes any host',
    (host) => expect(checkOrigin(host, undefined, open)).toBeUndefined(),
  );
  it.each(['a"b', 'mcp.example.com", evil="1', 'a b', 'a/b', 'a@b', '[::1]x', ''])(
    'refuses %j before it could be echoed anywhere',
    (host) => expect(checkOrigin(host, undefined, open)).toBe('the Host header is not a valid host[:port]'),
  );
});

describe('bearerChallenge', () => {
  it('keeps every value inside its quotes', () => {
    const header = bearerChallenge({
      resource_metadata: 'http://h", error="forged\\',
      error: 'invalid_token',
      error_description: 'bad\r\nSet-Cookie: x=1',
      scope: undefined,
    });
    expect(header).toBe(
      `Bearer resource_metadata="http://h', error='forged?", error="invalid_token", error_description="bad??Set-Cookie: x=1"`,
    );
  });
});

describe('gateway limits and metrics config', () => {
  it('defaults fit behind a load balancer with a 60 s idle timeout', () => {
    const config = GatewayConfigSchema.parse({ servers });
    expect(config.limits).toMatchObject({
      keepAliveTimeoutMs: 65_000,
      headersTimeoutMs: 66_000,
      requestTimeoutMs: 120_000,
      maxConnections: 1024,
      authFailuresPerMinute: 60,
    });
    expect(config.metrics).toEqual({ principalLabels: false });
    expect(config.auth).toBeUndefined();
  });

  it('refuses a headers timeout longer than the request timeout, naming the path', () => {
    const parsed = GatewayConfigSchema.safeParse({
      servers,
      limits: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({
      path: ['limits', 'headersTimeoutMs'],
      message: 'must be at most limits.requestTimeoutMs (1000)',
    });
  });

  it('takes principalClaim for JWTs, sub by default', () => {
    const jwt = { issuer: 'i', audience: 'a', jwksUrl: 'https://j' };
    expect(GatewayConfigSchema.parse({ servers, auth: { jwt } }).auth?.jwt?.principalClaim).toBe('sub');
    expect(
      GatewayConfigSchema.parse({ servers, auth: { jwt: { ...jwt, principalClaim: 'client_id' } } }).auth?.jwt
        ?.principalClaim,
    ).toBe('client_id');
  });
});

describe('Host equal to the local address', () => {
  const pub = { loopbackOnly: false, allowedHosts: ['mcp.example.com'], allowedOrigins: [] };
  const local = { address: '::ffff:10.1.2.3', port: 8080 };
  it.each(['10.1.2.3:8080', '10.1.2.3'])('accepts %s (a probe or scraper by pod IP)', (host) =>
    expect(checkOrigin(host, undefined, pub, local)).toBeUndefined(),
  );
  it.each(['10.1.2.4:8080', '10.1.2.3:9090', 'evil.example'])('refuses %s', (host) =>
    expect(checkOrigin(host, undefined, pub, local)).toBe(`host ${host} is not allowed`),
  );
  it('accepts a bracketed IPv6 local address, and still judges Origin', () => {
    const v6 = { address: 'fd00::5', port: 8080 };
    expect(checkOrigin('[fd00::5]:8080', undefined, pub, v6)).toBeUndefined();
    expect(checkOrigin('[fd00::5]:8080', 'https://evil.example', pub, v6)).toBe(
      'origin https://evil.example is not allowed',
    );
  });
});
