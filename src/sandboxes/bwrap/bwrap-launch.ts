import { type SandboxProcess, spawnSandboxProcess } from '../process/spawn-sandbox-process.ts';
import type { SandboxPlan } from '../types.ts';
import { type PrivateDevices, ensurePrivateDevices } from './private-devices.ts';

/**
 * Start a bwrap plan: its private device nodes first (when it binds any), then the process, with the
 * --setenv arguments and the seccomp program on fds 3 and 4 (`plan.inputs`). The bwrap backend's
 * `launch`, and the launch of a plan the warden cached (src/cli/fast-start): everything read here must
 * come from `argv`, `env`, `cwd`, `inputs`, `handoff` or `details`, which is what a cached plan holds.
 * Rejects with WardenError('launch-failed' or 'backend-unavailable') when it cannot start.
 */
export async function launchBwrapPlan(plan: SandboxPlan): Promise<SandboxProcess> {
  // Created here, not in plan: `explain` creates nothing. A few lstat calls once they exist.
  const devices = plan.details?.privateDevices as PrivateDevices | undefined;
  if (devices !== undefined) ensurePrivateDevices(devices);
  return spawnSandboxProcess(plan.argv, plan.env, plan.cwd, {
    inputs: plan.inputs,
    ...(plan.handoff === undefined ? {} : { handoff: plan.handoff }),
  });
}
