import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from '../../util/cache-dir.ts';
import { findSetpriv } from '../process/find-on-path.ts';
import { spawnSandboxProcess } from '../process/spawn-sandbox-process.ts';
import type { Availability, Backend, SandboxPlan } from '../types.ts';
import { probeIsolatedVm } from './isolate-probe.ts';
import { HostStandby } from './host-standby.ts';
import { DEFAULT_CPU_MS, hostArgv, planIsolate } from './isolate-plan.ts';
import { finishIsolateLaunch } from './isolate-launch.ts';

const self = fileURLToPath(import.meta.url);
/** host-main next to this file, with this file's extension (.ts under type stripping, .js in dist). */
const HOST_ENTRY = path.join(path.dirname(self), `host-main${path.extname(self)}`);

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
    const host =
      (await ready?.take(plan.argv, plan.env)) ?? (await spawnSandboxProcess(plan.argv, plan.env, plan.cwd));
    return finishIsolateLaunch(host, plan);
  },
};
