// The container watchdog against a fake engine on a unix socket (DOCKER_HOST): when the process that
// holds its lifeline dies, even by SIGKILL, it removes that warden's containers; when the warden says
// all clear, it exits without a word to the engine.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { OWNER_LABEL } from '../../../../src/sandboxes/docker/owner.ts';
import { ALL_CLEAR, holdLifeline } from '../../../../src/sandboxes/docker/watchdog.ts';
import { hostProcesses } from '../../../helpers/host-processes.ts';

const WATCHDOG = path.resolve('src/sandboxes/docker/watchdog-main.ts');
const WATCHDOG_MODULE = path.resolve('src/sandboxes/docker/watchdog.ts');

const requests: string[] = [];
let containers: Array<{ Id: string; Labels: Record<string, string> }> = [];
const socket = path.join(mkdtempSync(path.join(tmpdir(), 'mcp-warden-fake-engine-')), 'docker.sock');
const server = http.createServer((request, response) => {
  requests.push(`${request.method} ${decodeURIComponent(request.url ?? '')}`);
  if (request.method === 'GET' && request.url?.startsWith('/containers/json')) {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(containers));
    return;
  }
  if (request.method === 'DELETE') {
    const id = /^\/containers\/([^?]+)/.exec(request.url ?? '')?.[1];
    containers = containers.filter((c) => c.Id !== id);
    response.statusCode = 204;
    response.end();
    return;
  }
  response.statusCode = 404;
  response.end('{}');
});

beforeAll(() => new Promise<void>((resolve) => server.listen(socket, resolve)));
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests.length = 0;
  containers = [{ Id: 'c1', Labels: { [OWNER_LABEL]: 'host/boot/42/7' } }];
  vi.stubEnv('DOCKER_HOST', `unix://${socket}`);
  return () => vi.unstubAllEnvs();
});

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Pids of watchdogs started for `owner`. */
function watchdogsFor(owner: string): number[] {
  return hostProcesses((proc) => proc.cmdline.includes('watchdog-main') && proc.cmdline.includes(owner)).map(
    (proc) => proc.pid,
  );
}

describe.runIf(process.platform === 'linux')('container watchdog', () => {
  it('the lifeline ends without "all clear": it removes the containers labelled with its owner', async () => {
    const watchdog = spawn(process.execPath, [WATCHDOG, 'host/boot/42/7'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    watchdog.stdin?.end();
    await expect
      .poll(() => requests, { timeout: 5_000, interval: 20 })
      .toContain('DELETE /containers/c1?force=true&v=true');
    expect(requests[0]).toBe(
      `GET /containers/json?all=true&filters={"label":["${OWNER_LABEL}=host/boot/42/7"]}`,
    );
    // A second pass for a create that was in flight, then it exits.
    expect(await exited(watchdog)).toBe(0);
    expect(requests.filter((r) => r.startsWith('GET'))).toHaveLength(2);
  }, 15_000);

  it('"all clear": it exits at once without a word to the engine', async () => {
    const watchdog = spawn(process.execPath, [WATCHDOG, 'host/boot/42/7'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    watchdog.stdin?.end(ALL_CLEAR);
    expect(await exited(watchdog)).toBe(0);
    expect(requests).toEqual([]);
  });

  it('holdLifeline: one watchdog for all of a warden’s containers, gone with the last release', async () => {
    const owner = `host/boot/${process.pid}/lifeline-test`;
    const first = holdLifeline(owner);
    const second = holdLifeline(owner);
    await expect.poll(() => watchdogsFor(owner), { timeout: 5_000, interval: 20 }).toHaveLength(1);
    // While it waits it is a shell, not an idle Node (~45 MB each, one per docker or gVisor server).
    const [pid] = watchdogsFor(owner);
    expect(readlinkSync(`/proc/${pid}/exe`)).not.toBe(realpathSync(process.execPath));
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    expect(rssKb).toBeLessThan(16 * 1024);
    first.release();
    first.release(); // Idempotent.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(watchdogsFor(owner)).toHaveLength(1);
    second.release();
    await expect.poll(() => watchdogsFor(owner), { timeout: 5_000, interval: 20 }).toEqual([]);
    expect(requests).toEqual([]);
  }, 15_000);

  it('a warden killed with SIGKILL: its watchdog, in its own session, removes the containers', async () => {
    const owner = 'host/boot/42/7';
    const warden = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { holdLifeline } from ${JSON.stringify(WATCHDOG_MODULE)};
         holdLifeline(${JSON.stringify(owner)});
         process.stdout.write('held\\n');
         setInterval(() => {}, 1e9);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
    );
    await new Promise((resolve) => warden.stdout?.once('data', resolve));
    await expect.poll(() => watchdogsFor(owner), { timeout: 5_000, interval: 20 }).toHaveLength(1);
    // The whole process group, as a supervisor would: the watchdog is not in it.
    process.kill(-(warden.pid as number), 'SIGKILL');
    await expect
      .poll(() => requests, { timeout: 5_000, interval: 20 })
      .toContain('DELETE /containers/c1?force=true&v=true');
    await expect.poll(() => watchdogsFor(owner), { timeout: 5_000, interval: 50 }).toEqual([]);
  }, 20_000);
});
