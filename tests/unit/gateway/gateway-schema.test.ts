import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayConfigSchema, loadGatewayConfig } from '../../../src/config/gateway-schema.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

const server = { command: ['node', '/srv/server.mjs'] };

describe('gateway config schema', () => {
  it('accepts the DESIGN.md example and fills defaults', () => {
    const config = GatewayConfigSchema.parse({
      listen: { host: '127.0.0.1', port: 8080 },
      auth: {
        apiKeys: [{ id: 'ci', sha256: 'a'.repeat(64) }],
        jwt: {
          issuer: 'https://i',
          audience: 'aud',
          jwksUrl: 'https://i/jwks',
          algorithms: ['RS256', 'ES256'],
        },
        revocationFile: 'revoked.txt',
      },
      servers: {
        everything: {
          profile: 'bwrap',
          roots: ['/srv/data:ro'],
          env: ['API_TOKEN'],
          command: ['node', '/opt/s.mjs'],
          policy: {},
        },
      },
    });
    expect(config.limits).toMatchObject({ maxSessions: 64, idleTimeoutMs: 300_000, ratePerMinute: 600 });
    expect(config.servers.everything?.profile).toBe('bwrap');
  });

  it.each([
    [{ servers: { s: server }, extra: 1 }, 'Unrecognized key'],
    [{ servers: {} }, 'configure at least one server'],
    [{ servers: { s: {} } }, 'servers.s.command'],
    [{ servers: { s: { ...server, warm: 17 } } }, 'servers.s.warm'],
    [{ servers: { s: { ...server, warm: 1.5 } } }, 'servers.s.warm'],
    [{ servers: { 'bad/name': server } }, 'servers.bad/name: Invalid key'],
    [
      { listen: { host: '0.0.0.0', port: 1 }, servers: { s: server } },
      'listen.host: without an auth section',
    ],
    [{ auth: {}, servers: { s: server } }, 'give apiKeys or jwt'],
    [{ auth: { apiKeys: [{ id: 'k', sha256: 'xyz' }] }, servers: { s: server } }, 'auth.apiKeys[0].sha256'],
    [
      {
        auth: { jwt: { issuer: 'i', audience: 'a', jwksUrl: 'https://j', algorithms: ['HS256'] } },
        servers: { s: server },
      },
      'auth.jwt.algorithms: HS256 need an explicitly configured sharedSecret',
    ],
    [
      {
        auth: { jwt: { issuer: 'i', audience: 'a', jwksUrl: 'https://j', algorithms: ['none'] } },
        servers: { s: server },
      },
      'auth.jwt.algorithms[0]',
    ],
    [
      { auth: { jwt: { issuer: 'i', audience: 'a' } }, servers: { s: server } },
      'give jwksUrl, publicKeyPem or sharedSecret',
    ],
  ])('rejects %j naming the path', (raw, expected) => {
    const file = path.join(tmpRoot('schema'), 'gateway.json');
    writeFileSync(file, JSON.stringify(raw));
    expect(() => loadGatewayConfig(file)).toThrow(expected);
  });

  it('resolves relative paths against the config file', () => {
    const dir = tmpRoot('schema');
    const file = path.join(dir, 'gateway.json');
    writeFileSync(
      file,
      JSON.stringify({
        auth: { apiKeys: [{ id: 'k', sha256: 'b'.repeat(64) }], revocationFile: 'revoked.txt' },
        auditDir: 'audit',
        servers: { s: { ...server, policy: 'policy.json' } },
      }),
    );
    const config = loadGatewayConfig(file);
    expect(config.auth?.revocationFile).toBe(path.join(dir, 'revoked.txt'));
    expect(config.auditDir).toBe(path.join(dir, 'audit'));
    expect(config.servers.s?.policy).toBe(path.join(dir, 'policy.json'));
  });
});
