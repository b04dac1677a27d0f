import { findSetpriv } from '../process/find-on-path.ts';
import { spawnSandboxProcess } from '../process/spawn-sandbox-process.ts';
import type { Backend } from '../types.ts';
import { planNone } from './none-plan.ts';

/** Set in the environment of a `none` server so its leftovers can be found and killed. */
export const SANDBOX_MARKER_VAR = 'MCP_WARDEN_SANDBOX';

/** No isolation: the server runs as a plain child process. Always available; for tests and debugging. */
export const noneBackend: Backend = {
  name: 'none',
  probe: () => Promise.resolve({ available: true }),
  plan: (spec) => planNone(spec, findSetpriv()),
  launch: (plan) => {
    // Without a pid namespace, a double-forked daemon re-parents to init and leaves the session; a
    // per-sandbox marker in the environment it inherits is how the ladder still finds it.
    const marker = `${SANDBOX_MARKER_VAR}=${process.getBuiltinModule('node:crypto').randomBytes(12).toString('hex')}`;
    const env = { ...plan.env, [SANDBOX_MARKER_VAR]: marker.slice(SANDBOX_MARKER_VAR.length + 1) };
    return spawnSandboxProcess(plan.argv, env, plan.cwd, {
      environMarker: marker,
      ...(plan.handoff === undefined ? {} : { handoff: plan.handoff }),
    });
  },
};
