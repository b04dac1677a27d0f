import { findOnPath } from '../process/find-on-path.ts';
import { spawnSandboxProcess } from '../process/spawn-sandbox-process.ts';
import type { Backend } from '../types.ts';
import { planNone } from './none-plan.ts';

let setprivPath: string | null | undefined;

/** setpriv from the warden's PATH, looked up once per process; undefined when missing. */
function findSetpriv(): string | undefined {
  setprivPath ??= findOnPath('setpriv', process.env.PATH) ?? null;
  return setprivPath ?? undefined;
}

/** No isolation: the server runs as a plain child process. Always available; for tests and debugging. */
export const noneBackend: Backend = {
  name: 'none',
  probe: () => Promise.resolve({ available: true }),
  plan: (spec) => planNone(spec, findSetpriv()),
  launch: (plan) => spawnSandboxProcess(plan.argv, plan.env, plan.cwd),
};
