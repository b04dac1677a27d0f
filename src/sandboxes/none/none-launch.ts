import { type SandboxProcess, spawnSandboxProcess } from '../process/spawn-sandbox-process.ts';
import type { SandboxPlan } from '../types.ts';

/** Set in the environment of a `none` server so its leftovers can be found and killed. */
export const SANDBOX_MARKER_VAR = 'MCP_WARDEN_SANDBOX';

/**
 * Start a `none` plan as a plain child process. The none backend's `launch`, and the launch of a plan
 * the warden cached (src/cli/fast-start): everything read here must come from `argv`, `env`, `cwd` or
 * `handoff`, which is what a cached plan holds. Rejects with WardenError('launch-failed').
 */
export function launchNonePlan(plan: SandboxPlan): Promise<SandboxProcess> {
  // Without a pid namespace, a double-forked daemon re-parents to init and leaves the session; a
  // per-sandbox marker in the environment it inherits is how the ladder still finds it.
  const marker = `${SANDBOX_MARKER_VAR}=${process.getBuiltinModule('node:crypto').randomBytes(12).toString('hex')}`;
  const env = { ...plan.env, [SANDBOX_MARKER_VAR]: marker.slice(SANDBOX_MARKER_VAR.length + 1) };
  return spawnSandboxProcess(plan.argv, env, plan.cwd, {
    environMarker: marker,
    ...(plan.handoff === undefined ? {} : { handoff: plan.handoff }),
  });
}
