import { findSetpriv } from '../process/find-on-path.ts';
import type { Backend } from '../types.ts';
import { launchNonePlan } from './none-launch.ts';
import { planNone } from './none-plan.ts';

export { SANDBOX_MARKER_VAR } from './none-launch.ts';

/** No isolation: the server runs as a plain child process. Always available; for tests and debugging. */
export const noneBackend: Backend = {
  name: 'none',
  probe: () => Promise.resolve({ available: true }),
  plan: (spec) => planNone(spec, findSetpriv()),
  // A per-sandbox environment marker, then the process: ./none-launch.ts, shared with the start of a
  // cached plan (src/cli/fast-start).
  launch: (plan) => launchNonePlan(plan),
};
