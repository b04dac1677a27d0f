// The top-level Dockerfile, built for real on the locally assembled base (`mcp-warden image build`: no
// registry), run hardened (read-only root, no caps, no network at all, under gVisor when the engine has
// it) and checked from inside the container only: its HEALTHCHECK, an MCP initialize through the
// gateway, no shell, a read-only root filesystem, and a clean SIGTERM stop.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerSeccompProfile } from '../../../src/sandboxes/seccomp/docker-profile.ts';
import { DOCKER_PROFILE, GVISOR_PROFILE } from '../../helpers/containers.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';
import { ECHO_SERVER, PROJECT_ROOT, WARDEN_ENTRY } from '../../helpers/warden.ts';

const run = promisify(execFile);
const docker = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
  run('docker', args, { maxBuffer: 16 * 1024 * 1024 });

const tag = `mcp-warden-gateway:test-${randomBytes(4).toString('hex')}`;
const container = `mcp-warden-gateway-test-${randomBytes(4).toString('hex')}`;

afterAll(async () => {
  await docker('rm', '-f', container).catch(() => undefined);
  await docker('rmi', '-f', tag).catch(() => undefined);
});

async function execIn(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await docker('exec', container, ...args);
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const INITIALIZE = `fetch('http://127.0.0.1:8080/servers/echo/mcp', { method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) })
  .then(async (r) => console.log(r.status, await r.text()))`;

describe.runIf(DOCKER_PROFILE.enabled)(`Dockerfile (${DOCKER_PROFILE.status})`, () => {
  it('builds offline, runs non-root on a read-only root without a shell, is healthy, stops cleanly', async () => {
    const built = await run(process.execPath, [WARDEN_ENTRY, 'image', 'build'], { cwd: PROJECT_ROOT });
    const base = /mcp-warden\/node:[\w.-]+/.exec(built.stdout + built.stderr)?.[0];
    expect(base, built.stdout + built.stderr).toBeDefined();
    const context = tmpRoot('image-context');
    await run(
      process.execPath,
      [path.join(PROJECT_ROOT, 'deploy/docker/stage-context.mjs'), '--out', context],
      {
        cwd: PROJECT_ROOT,
      },
    );
    await docker('build', '-q', '-t', tag, '--build-arg', `BASE=${base}`, context);

    const [image] = JSON.parse((await docker('image', 'inspect', tag)).stdout) as Array<{
      Config: { User: string; Healthcheck: { Test: string[] }; Entrypoint: string[] };
    }>;
    expect(image?.Config.User).toBe('65534:65534');
    expect(image?.Config.Healthcheck.Test).toEqual([
      'CMD',
      'node',
      '/opt/mcp-warden/dist/gateway/healthcheck.js',
    ]);
    expect(image?.Config.Entrypoint).toEqual(['node', '/opt/mcp-warden/dist/cli/main.js', 'gateway']);

    const config = tmpRoot('image-config');
    chmodSync(config, 0o755);
    writeFileSync(
      path.join(config, 'gateway.json'),
      JSON.stringify({
        listen: { host: '127.0.0.1', port: 8080 },
        servers: { echo: { profile: 'none', command: ['node', '/srv/echo-server.mjs'] } },
      }),
      { mode: 0o644 },
    );
    // runsc enforces seccomp profiles (--oci-seccomp, which the gvisor backend requires) but answers
    // every ERRNO rule with EPERM: Docker's default profile then refuses clone3 with EPERM, and glibc
    // >= 2.34 cannot start threads (google/gvisor#14688). The warden's runsc profile lets clone3 through.
    const seccomp = path.join(config, 'seccomp-runsc.json');
    writeFileSync(seccomp, JSON.stringify(dockerSeccompProfile('runsc')));
    await docker(
      'run', '-d', '--name', container,
      ...(GVISOR_PROFILE.enabled ? ['--runtime', 'runsc', '--security-opt', `seccomp=${seccomp}`] : []),
      '--network', 'none', '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL',
      '--security-opt', 'no-new-privileges', '--memory', '512m', '--pids-limit', '256',
      '--health-interval', '1s', '--health-start-period', '0s',
      '-v', `${path.join(config, 'gateway.json')}:/etc/mcp-warden/gateway.json:ro`,
      '-v', `${ECHO_SERVER}:/srv/echo-server.mjs:ro`,
      tag,
    ); // prettier-ignore

    let health = '';
    for (let i = 0; i < 60 && health !== 'healthy'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      health = (await docker('inspect', container, '--format', '{{.State.Health.Status}}')).stdout.trim();
    }
    expect(health, (await docker('logs', container)).stderr).toBe('healthy');
    expect(await execIn('node', '/opt/mcp-warden/dist/gateway/healthcheck.js')).toEqual({ code: 0, out: '' });

    const init = await execIn('node', '-e', INITIALIZE);
    expect(init.out).toMatch(/^200 [\s\S]*"serverInfo":\{"name":"echo-server"/);
    expect((await execIn('sh', '-c', 'true')).code).not.toBe(0);
    const write = await execIn('node', '-e', "require('fs').writeFileSync('/opt/mcp-warden/x', '1')");
    expect(write.out).toMatch(/EROFS|EACCES/);
    expect((await execIn('node', '-e', 'console.log(process.getuid())')).out.trim()).toBe('65534');

    await docker('stop', '-t', '15', container);
    const state = JSON.parse((await docker('inspect', container, '--format', '{{json .State}}')).stdout) as {
      ExitCode: number;
    };
    expect(state.ExitCode).toBe(0);
    expect((await docker('logs', container)).stderr).toContain('gateway stopped');
  }, 180_000);
});
