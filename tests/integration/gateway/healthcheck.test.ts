// The container HEALTHCHECK program (src/gateway/healthcheck.ts) against a real gateway on the host: it
// finds the port in the gateway config (here given with its own --config; inside the image it reads
// the running gateway's), not a fixed 8080. dockerfile.test.ts runs it inside the image.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { ECHO_SERVER, PROJECT_ROOT } from '../../helpers/warden.ts';
import { gatewayPerTest, startGateway } from './gateway-helpers.ts';

const run = promisify(execFile);
const HEALTHCHECK = path.join(PROJECT_ROOT, 'src/gateway/healthcheck.ts');

/** A port free right now (the gateway binds it next; nothing else here picks fixed ports). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function healthcheck(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stderr: string }> {
  const { MCP_WARDEN_HEALTH_URL: _unset, ...base } = process.env;
  try {
    const { stderr } = await run(process.execPath, [HEALTHCHECK, ...args], { env: { ...base, ...env } });
    return { code: 0, stderr };
  } catch (error) {
    const e = error as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

describe('healthcheck', () => {
  it("asks /healthz on the config's listen port, and says why when it cannot", async () => {
    gatewayPerTest();
    const port = await freePort();
    const listen = { host: '127.0.0.1', port };
    const servers = { echo: { profile: 'none', command: ['node', ECHO_SERVER] } };
    await startGateway({ listen, servers });
    const config = path.join(tmpRoot('healthcheck'), 'gateway.json');
    writeFileSync(config, JSON.stringify({ listen, servers }));

    expect(await healthcheck(['--config', config])).toEqual({ code: 0, stderr: '' });

    // The same config with a port nothing listens on: unhealthy, naming the URL and where it came from.
    const closed = await freePort();
    writeFileSync(config, JSON.stringify({ listen: { ...listen, port: closed }, servers }));
    const down = await healthcheck(['--config', config]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`http://127.0.0.1:${closed}/healthz (from ${config} (--config))`);

    // MCP_WARDEN_HEALTH_URL overrides the config.
    const url = `http://127.0.0.1:${port}/healthz`;
    expect(await healthcheck(['--config', config], { MCP_WARDEN_HEALTH_URL: url })).toEqual({
      code: 0,
      stderr: '',
    });

    const missing = path.join(path.dirname(config), 'missing.json');
    const unreadable = await healthcheck(['--config', missing]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain(`cannot read gateway config ${missing} (--config)`);
    expect(unreadable.stderr).toContain('hint: ');
  }, 30_000);
});
