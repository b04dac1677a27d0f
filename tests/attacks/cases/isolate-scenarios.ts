// Scenarios of containment-isolate.ts that need their own warden: an argv inspection of every process
// the warden started, and a guest flooding stdout while the client reads nothing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  HOSTILE_SERVER,
  initializeRaw,
  PROJECT_ROOT,
  type RawWarden,
  runArgs,
  spawnWardenRaw,
} from '../../helpers/warden.ts';
import { collectDescendants } from '../../../src/sandboxes/process/proc-snapshot.ts';
import { hostProcesses } from '../../helpers/host-processes.ts';
import type { AttackContext } from '../types.ts';

const ESCAPE_SERVER = path.join(PROJECT_ROOT, 'tests/fixtures/isolate/escape-server.mjs');

/** The hostile fixture on ctx's backend with extra `run` options and warden environment; handshake done. */
export async function startIsolateFixture(
  ctx: AttackContext,
  options: { envArgs: string[]; wardenEnv?: Record<string, string> },
): Promise<RawWarden> {
  const warden = spawnWardenRaw(
    runArgs({
      profile: ctx.backend,
      roots: [ctx.root, `${ctx.ro}:ro`],
      extraArgs: options.envArgs,
      command: [process.execPath, HOSTILE_SERVER, '--root', ctx.root],
    }),
    { env: { ...process.env, ...options.wardenEnv } },
  );
  await initializeRaw(warden);
  return warden;
}

/**
 * Every descendant of `pid` with its command line (NULs as spaces): the warden's own leftover search
 * (collectDescendants: ppid links, and its process group and session).
 */
export function descendantCmdlines(pid: number): { pid: number; cmdline: string }[] {
  const table = new Map(hostProcesses().map((proc) => [proc.pid, proc]));
  return collectDescendants(table, pid).map((entry) => ({
    pid: entry.pid,
    cmdline: (table.get(entry.pid)?.cmdline ?? '').replaceAll('\0', ' '),
  }));
}

function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

const FLOOD_MB = 400;
const MEMORY_MB = 64;
/** Node, isolated-vm, a 64 MB heap and a 64 MB output queue fit well under this; 400 MB queued do not. */
const RSS_CEILING_MB = 320;

/**
 * The escape fixture writes FLOOD_MB of notifications without waiting for drain while the client reads
 * nothing: the host process must stay under RSS_CEILING_MB and end by its limit, and once the client
 * reads again the warden must report sandbox.limit and exit 70.
 */
export async function floodScenario(ctx: AttackContext): Promise<string | undefined> {
  const warden = spawnWardenRaw(
    runArgs({
      profile: 'isolate',
      roots: [ctx.root],
      extraArgs: ['--memory', String(MEMORY_MB)],
      command: [process.execPath, ESCAPE_SERVER, ctx.root],
    }),
    { env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' } },
  );
  try {
    await initializeRaw(warden);
    const host = descendantCmdlines(warden.child.pid as number).find((p) => p.cmdline.includes('host-main'));
    if (!host) return 'no isolate host process found under the warden';
    warden.child.stdout?.pause();
    warden.send({
      jsonrpc: '2.0',
      id: 'flood',
      method: 'tools/call',
      params: { name: 'stdout_flood', arguments: { mb: FLOOD_MB } },
    });
    let peak = 0;
    const deadline = Date.now() + 30_000;
    for (let rss = rssMb(host.pid); rss !== undefined && Date.now() < deadline; rss = rssMb(host.pid)) {
      peak = Math.max(peak, rss);
      if (peak > RSS_CEILING_MB) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (peak > RSS_CEILING_MB)
      return `the isolate host grew to ${Math.round(peak)} MB (ceiling ${RSS_CEILING_MB})`;
    if (rssMb(host.pid) !== undefined) return 'the isolate host was still running after 30 s of flooding';
    warden.child.stdout?.resume();
    const status = await Promise.race([
      warden.exit,
      new Promise((resolve) => setTimeout(() => resolve('running'), 20_000)),
    ]);
    if (JSON.stringify(status) !== JSON.stringify({ code: 70, signal: null }))
      return `warden exit ${JSON.stringify(status)}; stderr ${warden.stderr().slice(-400)}`;
    return warden.stderr().includes('sandbox.limit') ? undefined : 'no sandbox.limit in the warden log';
  } finally {
    // A failed run must not leave hundreds of MB queued for this test process to read.
    if (warden.child.exitCode === null) warden.child.kill('SIGKILL');
  }
}
