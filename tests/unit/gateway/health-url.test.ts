// The container HEALTHCHECK's URL follows the gateway config's listen address (issue 17 item 8): the
// image's default config path, the running gateway's --config, or the healthcheck's own --config;
// MCP_WARDEN_HEALTH_URL overrides. Real files in a temp dir; PID 1's argv is given as data.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  IMAGE_CONFIG_PATH,
  configFromGatewayArgv,
  healthUrl,
  loopbackFor,
} from '../../../src/gateway/health-url.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

const GATEWAY_PID1 = ['node', '/opt/mcp-warden/dist/cli/main.js', 'gateway'];

function configIn(dir: string, listen: unknown, name = 'gateway.json'): string {
  const file = path.join(dir, name);
  const servers = { echo: { command: ['node', 'x.mjs'] } };
  writeFileSync(file, JSON.stringify(listen === undefined ? { servers } : { listen, servers }));
  return file;
}

const read = (file: string): string => readFileSync(file, 'utf8');
const base = { envUrl: undefined, ownArgv: [], pid1Argv: undefined, readFile: read, cwd: '/' };

describe('healthUrl', () => {
  it("uses the port of the config the running gateway was started with (PID 1's --config)", () => {
    const file = configIn(tmpRoot('health'), { host: '0.0.0.0', port: 9181 });
    for (const argv of [
      [...GATEWAY_PID1, '--config', file, ''],
      [...GATEWAY_PID1, `--config=${file}`, ''],
      ['/sbin/docker-init', '--', ...GATEWAY_PID1, '--config', file, ''],
    ]) {
      expect(healthUrl({ ...base, pid1Argv: argv })).toEqual({
        ok: true,
        url: 'http://127.0.0.1:9181/healthz',
        source: `${file} (the gateway's --config)`,
      });
    }
  });

  it('reads the image default path when the gateway names no --config, with the schema defaults', () => {
    const files = new Map([[IMAGE_CONFIG_PATH, JSON.stringify({ listen: { port: 8443 } })]]);
    const readFile = (file: string): string => {
      const text = files.get(file);
      if (text === undefined) throw new Error(`ENOENT: ${file}`);
      return text;
    };
    expect(healthUrl({ ...base, readFile, pid1Argv: GATEWAY_PID1 })).toMatchObject({
      ok: true,
      url: 'http://127.0.0.1:8443/healthz',
    });
    files.set(IMAGE_CONFIG_PATH, '{"servers":{}}');
    // PID 1 that is not the gateway: its flags are not read as the gateway's.
    expect(healthUrl({ ...base, readFile, pid1Argv: ['/sbin/init', '--config', '/x'] })).toMatchObject({
      ok: true,
      url: 'http://127.0.0.1:8080/healthz',
    });
  });

  it("prefers its own --config (relative to the working directory), then PID 1's", () => {
    const dir = tmpRoot('health');
    const own = configIn(dir, { host: '127.0.0.1', port: 7001 }, 'own.json');
    const pid1 = configIn(dir, { host: '127.0.0.1', port: 7002 }, 'pid1.json');
    expect(
      healthUrl({
        ...base,
        cwd: dir,
        ownArgv: ['--config', 'own.json'],
        pid1Argv: [...GATEWAY_PID1, '--config', pid1],
      }),
    ).toMatchObject({ ok: true, url: 'http://127.0.0.1:7001/healthz', source: `${own} (--config)` });
  });

  it('lets MCP_WARDEN_HEALTH_URL override everything (an empty value does not)', () => {
    const file = configIn(tmpRoot('health'), { host: '127.0.0.1', port: 9999 });
    const pid1Argv = [...GATEWAY_PID1, '--config', file];
    expect(healthUrl({ ...base, pid1Argv, envUrl: 'http://127.0.0.1:1234/healthz' })).toEqual({
      ok: true,
      url: 'http://127.0.0.1:1234/healthz',
      source: 'MCP_WARDEN_HEALTH_URL',
    });
    expect(healthUrl({ ...base, pid1Argv, envUrl: '' })).toMatchObject({
      url: 'http://127.0.0.1:9999/healthz',
    });
  });

  it('says what is wrong instead of guessing a port', () => {
    const dir = tmpRoot('health');
    const missing = path.join(dir, 'missing.json');
    const result = healthUrl({ ...base, pid1Argv: [...GATEWAY_PID1, '--config', missing] });
    expect(result).toMatchObject({ ok: false, hint: expect.stringContaining('MCP_WARDEN_HEALTH_URL') });
    expect(!result.ok && result.reason).toMatch(
      `cannot read gateway config ${missing} (the gateway's --config)`,
    );

    const zero = configIn(dir, { host: '127.0.0.1', port: 0 });
    expect(healthUrl({ ...base, ownArgv: ['--config', zero] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('listen.port is 0'),
    });
    const bad = configIn(dir, { host: '127.0.0.1', port: 'http' }, 'bad.json');
    expect(healthUrl({ ...base, ownArgv: ['--config', bad] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/invalid listen section in .*bad\.json:\nlisten\.port: /),
    });
    writeFileSync(bad, '{ not json');
    expect(healthUrl({ ...base, ownArgv: ['--config', bad] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining(`cannot read gateway config ${bad} (--config)`),
    });
  });
});

describe('loopbackFor and configFromGatewayArgv', () => {
  it('maps wildcard binds to loopback and brackets IPv6 literals', () => {
    expect(loopbackFor('0.0.0.0')).toBe('127.0.0.1');
    expect(loopbackFor('::')).toBe('127.0.0.1');
    expect(loopbackFor('::1')).toBe('[::1]');
    expect(loopbackFor('[::1]')).toBe('[::1]');
    expect(loopbackFor('10.1.2.3')).toBe('10.1.2.3');
    expect(loopbackFor('localhost')).toBe('localhost');
  });

  it('reads --config only after the gateway word', () => {
    expect(configFromGatewayArgv([...GATEWAY_PID1, '--config', '/a.json'])).toBe('/a.json');
    expect(configFromGatewayArgv(['node', 'x.js', '--config', '/a.json', 'gateway'])).toBeUndefined();
    expect(configFromGatewayArgv(GATEWAY_PID1)).toBeUndefined();
  });
});
