// The isolate backend's prestart (issue 19): a host started before its plan, configured through the first
// line of its stdin. A launch takes it only with the same command line and an environment of exactly
// the configuration; anything else stops it; it never outlives the warden; the real host reads its
// configuration from stdin without losing or leaking a byte of what follows.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSandboxProcess } from '../../../../src/sandboxes/process/spawn-sandbox-process.ts';
import {
  CONFIG_ON_STDIN,
  HOST_CONFIG_ENV,
  type HostConfig,
} from '../../../../src/sandboxes/isolate/host-config.ts';
import { HostStandby } from '../../../../src/sandboxes/isolate/host-standby.ts';
import { START_FAILED_STATUS } from '../../../../src/sandboxes/isolate/isolate-exit.ts';
import { expectNoProcesses, findProcesses } from '../../../helpers/processes.ts';
import { tmpRoot } from '../../../helpers/tmp-root.ts';
import { PROJECT_ROOT } from '../../../helpers/warden.ts';

const HOST_MAIN = path.join(PROJECT_ROOT, 'src/sandboxes/isolate/host-main.ts');

/**
 * A stand-in host: prints its environment, then echoes stdin, and stays up even after stdin ends (so only
 * a kill ends it); the marker names it in /proc.
 */
function standIn(marker: string): string[] {
  const script = `process.stdout.write(JSON.stringify(process.env) + '\\n'); process.stdin.pipe(process.stdout); setInterval(() => {}, 60000);`;
  return [process.execPath, '-e', script, marker];
}

const marker = (): string => `standby-test-${Math.random().toString(36).slice(2)}`;

async function firstLines(stream: NodeJS.ReadableStream, count: number): Promise<string[]> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.split('\n').length > count) break;
  }
  return text.split('\n').slice(0, count);
}

describe('HostStandby', () => {
  it('is taken by a launch with the same command line: the configuration is its first stdin line', async () => {
    const name = marker();
    const argv = standIn(name);
    const standby = new HostStandby(argv, spawnSandboxProcess);
    const config = JSON.stringify({ entry: '/srv/x.js' });
    const host = await standby.take(argv, { [HOST_CONFIG_ENV]: config });
    expect(host).toBeDefined();
    host?.stdin.end('client bytes\n');
    const [env, first, second] = await firstLines(host?.stdout as NodeJS.ReadableStream, 3);
    // Started with nothing but the marker in its environment; the configuration came on stdin, first.
    expect(JSON.parse(env as string)).toEqual({ [HOST_CONFIG_ENV]: CONFIG_ON_STDIN });
    expect([first, second]).toEqual([config, 'client bytes']);
    await host?.stop({ graceful: false });
    // Once: a second launch spawns its own host.
    expect(await standby.take(argv, { [HOST_CONFIG_ENV]: config })).toBeUndefined();
  });

  it.each<{ why: string; argv: (a: string[]) => string[]; env: Record<string, string> }>([
    { why: 'another command line', argv: (a: string[]) => [...a, 'extra'], env: { [HOST_CONFIG_ENV]: '{}' } },
    {
      why: 'more than the configuration in the environment',
      argv: (a: string[]) => a,
      env: { [HOST_CONFIG_ENV]: '{}', PATH: '/bin' },
    },
    { why: 'no configuration', argv: (a: string[]) => a, env: { PATH: '/bin' } },
    {
      why: 'the stdin marker as configuration',
      argv: (a: string[]) => a,
      env: { [HOST_CONFIG_ENV]: CONFIG_ON_STDIN },
    },
    { why: 'a configuration of two lines', argv: (a: string[]) => a, env: { [HOST_CONFIG_ENV]: '{}\n{}' } },
  ])('is not taken (and is stopped) for $why', async ({ argv, env }) => {
    const name = marker();
    const own = standIn(name);
    const standby = new HostStandby(own, spawnSandboxProcess);
    await expect.poll(() => findProcesses(name).length).toBe(1);
    expect(await standby.take(argv(own), env)).toBeUndefined();
    await expectNoProcesses(name);
  });

  it('is not taken once it has died, and discard() stops one nothing took', async () => {
    const name = marker();
    const argv = standIn(name);
    const standby = new HostStandby(argv, spawnSandboxProcess);
    await expect.poll(() => findProcesses(name).length).toBe(1);
    for (const pid of findProcesses(name)) process.kill(pid, 'SIGKILL');
    await expectNoProcesses(name);
    await new Promise((resolve) => setTimeout(resolve, 50)); // its exit reaches the warden
    expect(await standby.take(argv, { [HOST_CONFIG_ENV]: '{}' })).toBeUndefined();

    const other = marker();
    const unused = new HostStandby(standIn(other), spawnSandboxProcess);
    await expect.poll(() => findProcesses(other).length).toBe(1);
    unused.discard();
    await expectNoProcesses(other);
  });

  it('dies with a warden that exits without launching', async () => {
    const name = marker();
    const dir = tmpRoot('standby-exit');
    const script = path.join(dir, 'warden.ts');
    writeFileSync(
      script,
      [
        `import { HostStandby } from ${JSON.stringify(path.join(PROJECT_ROOT, 'src/sandboxes/isolate/host-standby.ts'))};`,
        `import { spawnSandboxProcess } from ${JSON.stringify(path.join(PROJECT_ROOT, 'src/sandboxes/process/spawn-sandbox-process.ts'))};`,
        `new HostStandby(${JSON.stringify(standIn(name))}, spawnSandboxProcess);`,
        `setTimeout(() => process.exit(2), 300);`,
      ].join('\n'),
    );
    const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(2);
    await expectNoProcesses(name);
  });
});

describe('the isolate host configured on stdin', () => {
  function setup(): { dir: string; config: HostConfig } {
    const dir = tmpRoot('host-stdin');
    const entry = path.join(dir, 'server.mjs');
    // Echoes every stdin line it sees, as JSON, so a leaked configuration line would show.
    writeFileSync(
      entry,
      `process.stdin.setEncoding('utf8');\nprocess.stdin.on('data', (c) => { for (const l of c.split('\\n').filter(Boolean)) process.stdout.write(JSON.stringify({ saw: l, env: process.env }) + '\\n'); });\n`,
    );
    const config: HostConfig = {
      entry,
      argv: [process.execPath, entry],
      env: { GUEST: 'yes' },
      cwd: dir,
      roots: [{ path: dir, realPath: dir, readOnly: false }],
      readOnlyPaths: [dir],
      memoryMb: 64,
      cpuMs: 5000,
      cacheDir: undefined,
    };
    return { dir, config };
  }

  it.each([
    { how: 'in one write with the first message', split: false },
    { how: 'in a write of its own', split: true },
  ])(
    'runs the server with the configuration $how; the guest sees only the client bytes',
    async ({ split }) => {
      const { config } = setup();
      const child = spawn(process.execPath, [HOST_MAIN], {
        env: { [HOST_CONFIG_ENV]: CONFIG_ON_STDIN },
        cwd: '/',
      });
      const line = JSON.stringify(config);
      if (split) {
        child.stdin.write(`${line.slice(0, 10)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        child.stdin.write(`${line.slice(10)}\n`);
        child.stdin.write('hello\nworld\n');
      } else child.stdin.write(`${line}\nhello\nworld\n`);
      const answers = (await firstLines(child.stdout, 2)).map((l) => JSON.parse(l) as unknown);
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
      expect(answers).toEqual([
        { saw: 'hello', env: { GUEST: 'yes' } },
        { saw: 'world', env: { GUEST: 'yes' } },
      ]);
    },
  );

  it('ends quietly when stdin ends before a configuration (the warden went away)', () => {
    const result = spawnSync(process.execPath, [HOST_MAIN], {
      env: { [HOST_CONFIG_ENV]: CONFIG_ON_STDIN },
      input: '{"entry":',
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(START_FAILED_STATUS);
    expect(result.stdout).toBe('');
  });
});
