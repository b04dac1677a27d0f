import { WardenError } from '../errors.ts';
import { launchBwrapPlan } from './bwrap/bwrap-launch.ts';
import { launchNonePlan } from './none/none-launch.ts';
import { type SandboxProcess, spawnSandboxProcess } from './process/spawn-sandbox-process.ts';
import type { SandboxPlan } from './types.ts';

/**
 * Start a plan of a backend whose sandbox is a host child process (bwrap, none, isolate) exactly as
 * that backend's `launch` does, without loading the backend (its planner, probe and seccomp tables):
 * for a plan the warden cached, spawned before the rest of the warden has loaded (src/cli/fast-start).
 * An isolate host is only spawned: it bundles the server at once, and its start status is read once
 * the plan is confirmed (isolate-launch.ts finishIsolateLaunch, called by the adoption). Besides the
 * registry, the only module that imports backend code. Rejects like the backend's launch;
 * WardenError('internal') for another backend.
 */
export function launchHostPlan(plan: SandboxPlan): Promise<SandboxProcess> {
  switch (plan.backend) {
    case 'bwrap':
      return launchBwrapPlan(plan);
    case 'none':
      return launchNonePlan(plan);
    case 'isolate':
      return spawnSandboxProcess(plan.argv, plan.env, plan.cwd);
    default:
      return Promise.reject(
        new WardenError('internal', `the ${plan.backend} backend's plans are not started as host processes`),
      );
  }
}
