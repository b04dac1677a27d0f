// The top-level Dockerfile, built for real on the locally assembled base (`mcp-warden image build`: no
// registry) with the very `docker build` line docs/gateway.md documents, run hardened (read-only root,
// no caps, no network at all, under gVisor when the engine has it) and checked from inside the container
// only: its HEALTHCHECK (on the config's port, not 8080), an MCP initialize through the gateway, no
// shell, a read-only root filesystem, and a clean SIGTERM stop.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DOCKER_PROFILE } from '../../helpers/containers.ts';
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
  return execWith([], ...args);
}

async function execWith(options: string[], ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await docker('exec', ...options, container, ...args);
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The documented build, from docs/gateway.md's Container image section (the Dockerfile header repeats it). */
function documentedBuild(): string {
  const docs = readFileSync(path.join(PROJECT_ROOT, 'docs/gateway.md'), 'utf8');
  const section = docs.slice(docs.indexOf('## Container image'), docs.indexOf('## Kubernetes'));
  const lines = section.split('\n').filter((l) => /^(\w+=\S+ )*docker build /.test(l));
  expect(lines, 'exactly one docker build line in docs/gateway.md "Container image"').toHaveLength(1);
  return lines[0]!;
}

/**
 * The documented line as env + argv, with its three placeholders (tag, base, context directory) put to
 * this run's values; any other difference from the docs fails the test.
 */
function asRun(
  line: string,
  values: { tag: string; base: string; context: string },
): {
  env: Record<string, string>;
  args: string[];
} {
  const words = line.split(/\s+/);
  const env: Record<string, string> = {};
  while (/^\w+=/.test(words[0]!)) {
    const [name, value] = words.shift()!.split('=') as [string, string];
    env[name] = value;
  }
  expect(words.shift()).toBe('docker');
  const placeholders: Record<string, string> = {
    'mcp-warden-gateway': values.tag,
    'BASE=mcp-warden/node:<hash>': `BASE=${values.base}`,
    '/tmp/mcp-warden-image': values.context,
  };
  const args = words.map((w) => placeholders[w] ?? w);
  expect(args.filter((a) => Object.values(placeholders).includes(a))).toHaveLength(3);
  return { env, args };
}

describe('the documented image build', () => {
  it('needs no BuildKit (no buildx here) and pulls nothing: classic builder, no syntax directive', () => {
    const line = documentedBuild();
    expect(line).toMatch(/^DOCKER_BUILDKIT=0 docker build /);
    const dockerfile = readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`#   ${line}\n`);
    // A `# syntax=` parser directive makes BuildKit fetch a frontend image from a registry.
    expect(dockerfile).not.toMatch(/^#\s*syntax\s*=/im);
    expect(dockerfile).not.toMatch(/^\s*(RUN|ADD)\s/m);
    // The healthcheck port follows the config, so no fixed health URL is baked in.
    expect(dockerfile).not.toContain('MCP_WARDEN_HEALTH_URL=');
  });
});

const PORT = 8181; // not the 8080 default: the HEALTHCHECK must find it in the gateway's config

const INITIALIZE = `fetch('http://127.0.0.1:${PORT}/servers/echo/mcp', { method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) })
  .then(async (r) => console.log(r.status, await r.text()))`;

describe.runIf(DOCKER_PROFILE.enabled)(`Dockerfile (${DOCKER_PROFILE.status})`, () => {
  it('builds offline, runs non-root on a read-only root without a shell, is healthy, stops cleanly', async () => {
    // Where the time goes (staging compiles src/, the build sends ~100 MB of context): shown if it times out.
    const started = performance.now();
    const progress = (step: string): boolean =>
      process.stderr.write(`dockerfile test: ${step} after ${Math.round(performance.now() - started)} ms\n`);
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
    progress('context staged');
    // Exactly as documented: its env assignment and argv, only tag, base and context put to this run's.
    const build = asRun(documentedBuild(), { tag, base: base!, context });
    const output = await run('docker', build.args, {
      env: { ...process.env, ...build.env },
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(output.stdout + output.stderr).toContain(`Successfully tagged ${tag}`);
    expect(output.stdout + output.stderr).not.toMatch(/pulling/i);
    progress('image built');

    const [image] = JSON.parse((await docker('image', 'inspect', tag)).stdout) as Array<{
      Config: { User: string; Healthcheck: { Test: string[] }; Entrypoint: string[]; Env: string[] };
    }>;
    expect(image?.Config.User).toBe('65534:65534');
    expect(image?.Config.Env.filter((e) => e.startsWith('MCP_WARDEN_HEALTH_URL'))).toEqual([]);
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
        listen: { host: '127.0.0.1', port: PORT },
        servers: { echo: { profile: 'none', command: ['node', '/srv/echo-server.mjs'] } },
      }),
      { mode: 0o644 },
    );
    // The host's /dev/null keeps its owner and mode through the container's start and its health probes.
    const devNull = (): string => {
      const stat = statSync('/dev/null');
      return `${stat.uid}:${stat.gid} ${(stat.mode & 0o7777).toString(8)}`;
    };
    const devNullBefore = devNull();
    await docker(
      'run', '-d', '-i', '--name', container,
      // runc, not runsc: this runsc hands every process it starts in a container the owner of its stdio,
      // and Docker starts HEALTHCHECK probes with the host's /dev/null as stdin, so each probe under
      // gVisor made the host's /dev/null nobody's (docs/gateway.md: under gVisor, --no-healthcheck).
      '--runtime', 'runc',
      '--network', 'none', '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL',
      '--security-opt', 'no-new-privileges', '--memory', '512m', '--pids-limit', '256',
      '--health-interval', '1s', '--health-start-period', '0s',
      // Not the image's default path: the healthcheck follows the running gateway's --config.
      '-v', `${path.join(config, 'gateway.json')}:/etc/mcp-warden/site/gateway.json:ro`,
      '-v', `${ECHO_SERVER}:/srv/echo-server.mjs:ro`,
      tag, '--config', '/etc/mcp-warden/site/gateway.json',
    ); // prettier-ignore
    progress('container started');

    let health = '';
    for (let i = 0; i < 60 && health !== 'healthy'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      health = (await docker('inspect', container, '--format', '{{.State.Health.Status}}')).stdout.trim();
    }
    expect(health, (await docker('logs', container)).stderr).toBe('healthy');
    expect(devNull(), "the host's /dev/null after the container's health probes").toBe(devNullBefore);
    progress('container healthy');
    expect(await execIn('node', '/opt/mcp-warden/dist/gateway/healthcheck.js')).toEqual({ code: 0, out: '' });
    // The old fixed URL (port 8080) is unhealthy here: the check above really used the config's port.
    const fixed = await execWith(
      ['-e', 'MCP_WARDEN_HEALTH_URL=http://127.0.0.1:8080/healthz'],
      'node', '/opt/mcp-warden/dist/gateway/healthcheck.js',
    ); // prettier-ignore
    expect(fixed.code).toBe(1);
    expect(fixed.out).toContain('http://127.0.0.1:8080/healthz (from MCP_WARDEN_HEALTH_URL)');

    const init = await execIn('node', '-e', INITIALIZE);
    expect(init.out).toMatch(/^200 [\s\S]*"serverInfo":\{"name":"echo-server"/);
    expect((await execIn('sh', '-c', 'true')).code).not.toBe(0);
    const write = await execIn('node', '-e', "require('fs').writeFileSync('/opt/mcp-warden/x', '1')");
    expect(write.out).toMatch(/EROFS|EACCES/);
    expect((await execIn('node', '-e', 'console.log(process.getuid())')).out.trim()).toBe('65534');

    progress('checks done');
    await docker('stop', '-t', '15', container);
    const state = JSON.parse((await docker('inspect', container, '--format', '{{json .State}}')).stdout) as {
      ExitCode: number;
    };
    expect(state.ExitCode).toBe(0);
    expect((await docker('logs', container)).stderr).toContain('gateway stopped');
  }, 300_000);
});
