// A gateway server entry's `network` and `allowHost`: the same schema as a profile's network and as
// `run --allow-host`, with errors that name the entry's path and say what to write instead.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayConfigSchema, loadGatewayConfig } from '../../../src/config/gateway-schema.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

const command = ['node', '/srv/server.mjs'];

describe('gateway server entries: network and allowHost', () => {
  it('accepts the network object of a profile, and allowHost patterns', () => {
    const config = GatewayConfigSchema.parse({
      servers: {
        gh: {
          command,
          network: { allow: ['api.github.com', '*.example-cdn.com'], onDeny: 'kill' },
          allowHost: ['uploads.example.com:8443'],
        },
        plain: { command },
      },
    });
    expect(config.servers.gh?.network).toMatchObject({
      allow: ['api.github.com', '*.example-cdn.com'],
      onDeny: 'kill',
      allowPrivate: false,
      maxConnections: 32,
    });
    expect(config.servers.gh?.allowHost).toEqual(['uploads.example.com:8443']);
    // Unset: the profile's network applies, and nothing is added.
    expect(config.servers.plain?.network).toBeUndefined();
    expect(config.servers.plain?.allowHost).toEqual([]);
  });

  it.each([
    [{ allowHost: ['*'] }, 'servers.s.allowHost[0]: "*": "*" would allow every host'],
    [{ allowHost: ['*.com'] }, 'servers.s.allowHost[0]'],
    [{ allowHost: ['https://api.example.com'] }, 'servers.s.allowHost[0]'],
    [{ network: { allow: ['api.example.com:70000'] } }, 'servers.s.network.allow[0]'],
    [
      { network: { allow: ['x.example.com'], onDeny: 'explode' } },
      'servers.s.network.onDeny: Invalid option: expected one of "deny"|"kill"',
    ],
    [{ network: 'yes' }, 'servers.s.network: Invalid input: expected boolean or object'],
    [{ network: { allow: [], alow: [] } }, 'servers.s.network: Unrecognized key: "alow"'],
  ])('refuses %j, naming %s', (entry, where) => {
    const dir = tmpRoot('gw-net-config');
    const file = path.join(dir, 'gateway.json');
    writeFileSync(file, JSON.stringify({ servers: { s: { command, ...entry } } }));
    expect(() => loadGatewayConfig(file)).toThrow(where);
  });
});
