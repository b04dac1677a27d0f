import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../../../src/config/gateway-schema.ts';
import { resolveClusterSettings } from '../../../../src/gateway/cluster/cluster-settings.ts';
import { tmpRoot } from '../../../helpers/tmp-root.ts';

const server = { command: ['node', '/srv/server.mjs'] };
const KEY = 'k'.repeat(40);

/** Write a gateway config with `cluster` (and a key file `key` beside it) and load + resolve it. */
function load(cluster: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, key = KEY) {
  const dir = tmpRoot('cluster');
  writeFileSync(path.join(dir, 'key'), key);
  const file = path.join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify({ servers: { s: server }, cluster: { keyFile: 'key', ...cluster } }));
  const config = loadGatewayConfig(file);
  return { dir, settings: resolveClusterSettings(config.cluster!, env) };
}

const peers = ['http://127.0.0.1:8081', 'http://127.0.0.1:8082/'];

describe('cluster settings', () => {
  it('normalise URLs, read the key (whitespace dropped) relative to the config file', () => {
    const { settings } = load({ self: 'HTTP://127.0.0.1:8082', peers }, {}, `  ${KEY}\n`);
    expect(settings.self).toBe('http://127.0.0.1:8082');
    expect(settings.peers).toEqual({
      kind: 'static',
      origins: ['http://127.0.0.1:8081', 'http://127.0.0.1:8082'],
    });
    expect(settings.key.toString()).toBe(KEY);
    expect(settings.connectTimeoutMs).toBe(2000);
  });

  it('expand ${NAME} in self from the environment (IPv6 addresses bracketed) for DNS peers', () => {
    const dns = { peersDns: { name: 'mcp-warden-peers.ns.svc.cluster.local', port: 8080 } };
    expect(load({ self: 'http://${POD_IP}:8080', ...dns }, { POD_IP: '10.1.2.3' }).settings).toMatchObject({
      self: 'http://10.1.2.3:8080',
      peers: {
        kind: 'dns',
        name: 'mcp-warden-peers.ns.svc.cluster.local',
        port: 8080,
        scheme: 'http',
        refreshMs: 5000,
      },
    });
    expect(load({ self: 'http://${POD_IP}:8080', ...dns }, { POD_IP: 'fd00::7' }).settings.self).toBe(
      'http://[fd00::7]:8080',
    );
    expect(() => load({ self: 'http://${POD_IP}:8080', ...dns })).toThrow(
      'cluster.self: the environment variable POD_IP is not set',
    );
  });

  it.each([
    [
      { self: 'http://127.0.0.1:8083', peers },
      'cluster.self: http://127.0.0.1:8083 is not one of cluster.peers',
    ],
    [{ self: 'http://127.0.0.1:8081' }, 'cluster: give exactly one of peers'],
    [
      { self: 'http://127.0.0.1:8081', peers, peersDns: { name: 'x', port: 1 } },
      'cluster: give exactly one of peers',
    ],
    [
      { self: 'http://127.0.0.1:8081/mcp', peers },
      'cluster.self: "http://127.0.0.1:8081/mcp": give scheme://host:port only',
    ],
    [
      { self: 'http://127.0.0.1:8081', peers: ['ftp://x:1'] },
      'cluster.peers[0]: "ftp://x:1": only http:// and https://',
    ],
    [{ self: 'http://127.0.0.1:8081', peers: ['not a url'] }, 'cluster.peers[0]: "not a url" is not a URL'],
    [
      { self: 'http://u:p@127.0.0.1:8081', peers },
      'cluster.self: "http://u:p@127.0.0.1:8081": no credentials',
    ],
    [{ self: 'http://127.0.0.1:8081', peers, keyFile: 'missing' }, /cluster.keyFile: cannot read .*missing/],
    [{ self: 'http://127.0.0.1:8081', peers, extra: 1 }, 'cluster: Unrecognized key'],
    [{ self: 'http://${X}:1', peersDns: { name: 'x', port: 0 } }, 'cluster.peersDns.port'],
  ])('refuse %j naming the field', (cluster, expected) => {
    expect(() => load(cluster)).toThrow(expected);
  });

  it('refuse a key shorter than 32 bytes and an unreadable key file', () => {
    expect(() => load({ self: peers[0], peers }, {}, `${'k'.repeat(31)}\n`)).toThrow(
      /cluster.keyFile: .*key holds 31 bytes; the shared key needs at least 32/,
    );
    if (process.getuid?.() === 0) return; // root reads any file: the mode check below cannot fail then
    const dir = tmpRoot('cluster');
    const keyFile = path.join(dir, 'key');
    writeFileSync(keyFile, KEY);
    chmodSync(keyFile, 0);
    expect(() =>
      resolveClusterSettings({ self: peers[0]!, peers, keyFile, connectTimeoutMs: 1, maxClockSkewMs: 1 }, {}),
    ).toThrow(/cannot read .*EACCES/);
  });
});
