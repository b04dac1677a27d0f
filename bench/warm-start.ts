// node bench/warm-start.ts [--rounds N] [--entry FILE] — what the container engine costs a `run` session
// and what `run --warm` (docs/performance.md, "Warm pool for run") buys, in one run:
//  1. engine cost: create, attach, start, inspect and the server's boot (start → its first stderr line)
//     of the real server-filesystem container, through dockerode, for runc and runsc;
//  2. session start (spawn → initialize result, SDK client) of server-filesystem: direct, docker,
//     docker --warm, gvisor, gvisor --warm, interleaved. Every warm start is a hit (checked in its audit
//     log): before EVERY start, of any mode, the pool holds a ready container of both plans whose server
//     has booted, then the machine gets the same quiet second.
// Writes bench/warm-start-results.md. Uses dist/cli/main.js unless --entry names another entry.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Duplex, PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import type Docker from 'dockerode';
import { demuxAttachStream } from '../src/sandboxes/docker/attach-demux.ts';
import type { ContainerCreateBody } from '../src/sandboxes/docker/container-plan.ts';
import { dockerConnection } from '../src/sandboxes/docker/docker-connection.ts';
import { currentOwner, formatOwner, OWNER_LABEL } from '../src/sandboxes/docker/owner.ts';
import { poolPaths } from '../src/sandboxes/docker/warm/pool-paths.ts';
import { openSession } from './lib/mcp-session.ts';
import { FS_SERVER, REPO, WARDEN } from './lib/modes.ts';
import { medianRange, type Summary, summarize } from './lib/stats.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '8' }, entry: { type: 'string', default: WARDEN } },
});
const ROUNDS = Number(values.rounds);
const ENTRY = path.resolve(String(values.entry));
const SETTLE_MS = 1000;

const work = mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-bench-warm-'));
const root = path.join(work, 'root');
const state = path.join(work, 'state');
execFileSync('mkdir', ['-p', root, state]);
writeFileSync(path.join(root, 'small.txt'), 'hello\n');
const wardenEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  MCP_WARDEN_LOG_LEVEL: 'silent',
  MCP_WARDEN_STATE_DIR: state,
  ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
};

type Mode = 'direct' | 'docker' | 'docker --warm' | 'gvisor' | 'gvisor --warm';
const MODES: Mode[] = ['direct', 'docker', 'docker --warm', 'gvisor', 'gvisor --warm'];

function launch(mode: Mode, audit: string) {
  if (mode === 'direct') return { command: process.execPath, args: [FS_SERVER, root], env: wardenEnv };
  const [profile, warm] = mode.split(' ');
  return {
    command: process.execPath,
    args: [
      ENTRY,
      'run',
      '--profile',
      profile as string,
      ...(warm ? [warm] : []),
      '--audit-log',
      audit,
      '--root',
      root,
      '--',
      process.execPath,
      FS_SERVER,
      root,
    ],
    env: wardenEnv,
  };
}

/** The container body `run` would create for `profile` (what explain prints). */
function plannedBody(profile: 'docker' | 'gvisor'): ContainerCreateBody {
  const out = execFileSync(
    process.execPath,
    [ENTRY, 'explain', '--profile', profile, '--root', root, '--', process.execPath, FS_SERVER, root],
    { encoding: 'utf8', env: wardenEnv },
  );
  return (JSON.parse(out) as { details: { container: ContainerCreateBody } }).details.container;
}

// ---- 1. engine cost --------------------------------------------------------------------------------

interface EngineRound {
  create: number;
  attach: number;
  start: number;
  inspect: number;
  boot: number;
  remove: number;
}

async function engineRound(docker: Docker, body: ContainerCreateBody): Promise<EngineRound> {
  const options = {
    ...body,
    Labels: { ...body.Labels, [OWNER_LABEL]: formatOwner(currentOwner()) },
    name: `mcp-warden-bench-${process.pid}-${Date.now()}`,
  };
  let t = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const ms = now - t;
    t = now;
    return ms;
  };
  const container = await docker.createContainer(options as unknown as Docker.ContainerCreateOptions);
  const create = lap();
  const stream = (await container.attach({
    stream: true,
    stdin: true,
    stdout: true,
    stderr: true,
    hijack: true,
  })) as unknown as Duplex;
  const attach = lap();
  const stderr = new PassThrough();
  demuxAttachStream(stream, new PassThrough().resume(), stderr);
  const booted = new Promise<number>((resolve) => stderr.once('data', () => resolve(performance.now())));
  void container.wait({ condition: 'next-exit' }).catch(() => undefined);
  const started = performance.now();
  await container.start();
  const start = lap();
  await container.inspect();
  const inspect = lap();
  const boot = (await booted) - started;
  t = performance.now();
  stream.destroy();
  await container.remove({ force: true, v: true });
  const remove = lap();
  return { create, attach, start, inspect, boot, remove };
}

// ---- 2. session start -------------------------------------------------------------------------------

interface Status {
  pid: number;
  ready: Array<{ key: string; id: string; stderrBytes: number }>;
}

async function poolStatus(): Promise<Status | undefined> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const socket = net.createConnection(poolPaths({ MCP_WARDEN_STATE_DIR: state }).socket);
    let text = '';
    socket.on('error', () => resolve(undefined));
    socket.on('connect', () => socket.write('{"type":"status"}\n'));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (!text.includes('\n')) return;
      socket.destroy();
      resolve(JSON.parse(text.slice(0, text.indexOf('\n'))) as Status);
    });
  });
}

/** Until the pool holds `plans` ready containers whose servers have booted (said so on stderr). */
async function poolReady(plans: number): Promise<Status> {
  for (let i = 0; i < 600; i++) {
    const status = await poolStatus();
    if (status && status.ready.filter((r) => r.stderrBytes > 0).length >= plans) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the pool never got ready');
}

function warmHit(audit: string): boolean | undefined {
  try {
    const events = readFileSync(audit, 'utf8').split('\n').filter(Boolean);
    const warm = events
      .map((l) => JSON.parse(l) as { event: string; hit?: boolean })
      .find((e) => e.event === 'sandbox.warm');
    return warm?.hit;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const docker = await dockerConnection();
  const bodies = { docker: plannedBody('docker'), gvisor: plannedBody('gvisor') };
  // Prime: a first run of each mode (builds caches and images, the server's state home, and starts
  // the pool with both plans).
  for (const mode of MODES) {
    const session = await openSession(launch(mode, path.join(work, 'prime.jsonl')));
    await session.close();
  }
  const engine: Record<string, EngineRound[]> = { runc: [], runsc: [] };
  for (let round = 0; round < ROUNDS; round++) {
    engine.runc?.push(await engineRound(docker, bodies.docker));
    engine.runsc?.push(await engineRound(docker, bodies.gvisor));
  }
  const usesPool = (): Promise<Status> => poolReady(2);
  const starts = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  let hits = 0;
  let warmRuns = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of MODES) {
      await usesPool();
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const audit = path.join(work, `audit-${round}-${mode.replace(/\W+/g, '-')}.jsonl`);
      const session = await openSession(launch(mode, audit));
      starts.get(mode)?.push(session.coldMs);
      await session.client.callTool({
        name: 'read_text_file',
        arguments: { path: path.join(root, 'small.txt') },
      });
      await session.close();
      if (mode.endsWith('--warm')) {
        warmRuns++;
        await new Promise((resolve) => setTimeout(resolve, 300)); // the audit event follows the launch
        if (warmHit(audit) === true) hits++;
        else
          throw new Error(
            `${mode} round ${round}: not a pool hit (${readFileSync(audit, 'utf8').slice(0, 400)})`,
          );
      }
    }
  }

  const ms = (s: Summary): string => medianRange(s, 0);
  const lines: string[] = [];
  lines.push('# run --warm: engine cost and session start (bench/warm-start.ts)', '');
  lines.push(
    `${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end; ${ROUNDS} rounds; entry ${path.relative(REPO, ENTRY)}.`,
    '',
  );
  lines.push('## Engine cost of one server-filesystem container (ms, median (min–max))', '');
  lines.push('| runtime | create | attach | start | inspect | boot (start → first stderr) | remove |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [runtime, rounds] of Object.entries(engine)) {
    const col = (k: keyof EngineRound): string => ms(summarize(rounds.map((r) => r[k])));
    lines.push(
      `| ${runtime} | ${col('create')} | ${col('attach')} | ${col('start')} | ${col('inspect')} | ${col('boot')} | ${col('remove')} |`,
    );
  }
  lines.push('', '## Session start: spawn → initialize result (ms, median (min–max))', '');
  lines.push('| mode | start | vs direct |');
  lines.push('| --- | --- | --- |');
  const direct = summarize(starts.get('direct') ?? []).median;
  for (const mode of MODES) {
    const s = summarize(starts.get(mode) ?? []);
    lines.push(`| ${mode} | ${ms(s)} | ${(s.median / direct).toFixed(2)}× |`);
  }
  lines.push('', `Warm starts that were pool hits: ${hits} of ${warmRuns}.`, '');
  writeFileSync(path.join(REPO, 'bench', 'warm-start-results.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Stop the bench's pool daemon (it removes its ready containers) and remove the work directory. */
async function cleanup(): Promise<void> {
  const daemon = (await poolStatus())?.pid;
  if (daemon !== undefined) {
    process.kill(daemon, 'SIGTERM');
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(daemon, 0);
      } catch {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  rmSync(work, { recursive: true, force: true });
}

try {
  await main();
} finally {
  await cleanup();
}
