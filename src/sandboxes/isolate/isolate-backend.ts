import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WardenError } from '../../errors.ts';
import { cacheDir } from '../../util/cache-dir.ts';
import { findSetpriv } from '../process/find-on-path.ts';
import { spawnSandboxProcess } from '../process/spawn-sandbox-process.ts';
import type { Availability, Backend, ExitInfo, LimitKind, SandboxPlan } from '../types.ts';
import type { HostConfig } from './host-config.ts';
import { exitInfoWithLimit } from './isolate-exit.ts';
import { probeIsolatedVm } from './isolate-probe.ts';
import { HostStandby } from './host-standby.ts';
import { DEFAULT_CPU_MS, hostArgv, planIsolate } from './isolate-plan.ts';
import { readStartStatus } from './start-status.ts';

const self = fileURLToPath(import.meta.url);
/** host-main next to this file, with this file's extension (.ts under type stripping, .js in dist). */
const HOST_ENTRY = path.join(path.dirname(self), `host-main${path.extname(self)}`);

/** How long launch() waits for the host to bundle the server (a cold bundle of a large server: ~1 s). */
const START_TIMEOUT_MS = 120_000;

let probed: Promise<Availability> | undefined;
/** The host started by prestart(), until a launch takes it. */
let standby: HostStandby | undefined;

/** MCP_WARDEN_ISOLATE_CPU_MS, when set to a positive number; else the default budget. */
function cpuBudgetMs(): number {
  const value = Number(process.env.MCP_WARDEN_ISOLATE_CPU_MS);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_CPU_MS;
}

/**
 * V8 isolates via isolated-vm: a JavaScript server bundled with Node built-ins replaced by shims, run in
 * an isolate inside a child process of the warden. No kernel surface at all: files only through the
 * host-checked fs shim, network only as fetch/http/https requests the host sends to the session's egress
 * proxy (with an allowlist; none otherwise), no processes.
 */
export const isolateBackend: Backend = {
  name: 'isolate',
  probe(options) {
    probed ??= probeIsolatedVm(options?.cacheDir);
    return probed;
  },
  // The host's command line does not depend on the server, so it can boot (Node, its modules, isolated-vm:
  // ~50 ms) while the warden resolves the launch spec; the configuration follows on its stdin.
  prestart() {
    standby?.discard();
    standby = new HostStandby(
      hostArgv({ node: process.execPath, hostEntry: HOST_ENTRY, setpriv: findSetpriv() }),
      spawnSandboxProcess,
    );
  },
  plan: (spec) =>
    planIsolate(spec, {
      node: process.execPath,
      hostEntry: HOST_ENTRY,
      setpriv: findSetpriv(),
      cacheDir: cacheDir(),
      cpuMs: cpuBudgetMs(),
    }),
  async launch(plan: SandboxPlan) {
    const ready = standby;
    standby = undefined;
    const sandbox =
      (await ready?.take(plan.argv, plan.env)) ?? (await spawnSandboxProcess(plan.argv, plan.env, plan.cwd));
    const config = plan.details?.host as HostConfig | undefined;
    // The host bundles the server before it runs any of it, and says how that went on stderr: a refused
    // or broken bundle is a launch failure, not a server that died.
    const { status, stderr } = await readStartStatus(sandbox.stderr, START_TIMEOUT_MS);
    if (status === 'timeout' || status?.ok === false) {
      await sandbox.stop({ graceful: false });
      if (status === 'timeout')
        throw new WardenError(
          'launch-failed',
          `the isolate host did not finish bundling ${config?.entry ?? 'the server'} within ${START_TIMEOUT_MS / 1000} s`,
        );
      throw new WardenError('launch-failed', status.message, status.hint ? { hint: status.hint } : {});
    }
    const withLimit = (info: ExitInfo): ExitInfo =>
      exitInfoWithLimit(info, (kind) => (config === undefined ? undefined : describeLimit(kind, config)));
    const stop = sandbox.stop.bind(sandbox);
    // The host process reports a limit through its exit status; the session sees it as ExitInfo.limit.
    return Object.assign(sandbox, {
      stderr,
      exited: sandbox.exited.then(withLimit),
      stop: async (options?: { graceful?: boolean }) => withLimit(await stop(options)),
    });
  },
};

function describeLimit(kind: LimitKind, config: HostConfig): string | undefined {
  if (kind === 'memory')
    return `the server exceeded its ${config.memoryMb} MB memory limit (heap, or output the client had not read)`;
  if (kind === 'cpu') return `the server used more than ${config.cpuMs} ms of CPU without going idle`;
  return undefined;
}
