import { WardenError } from '../../errors.ts';
import type { SandboxProcess } from '../process/spawn-sandbox-process.ts';
import type { ExitInfo, LimitKind, Sandbox, SandboxPlan } from '../types.ts';
import type { HostConfig } from './host-config.ts';
import { exitInfoWithLimit } from './isolate-exit.ts';
import { readStartStatus } from './start-status.ts';

/** How long a launch waits for the host to bundle the server (a cold bundle of a large server: ~1 s). */
const START_TIMEOUT_MS = 120_000;

/**
 * The second half of an isolate launch, for a host process started from `plan` (spawned by the
 * backend's launch, taken from its standby, or spawned early by the fast start from a cached plan:
 * src/cli/fast-start): the host bundles the server before it runs any of it and says how that went on
 * stderr, so a refused or broken bundle is a launch failure (WardenError, the host stopped), not a
 * server that died. The sandbox it resolves with reports the host's limits (memory, CPU) through
 * ExitInfo.limit.
 */
export async function finishIsolateLaunch(sandbox: SandboxProcess, plan: SandboxPlan): Promise<Sandbox> {
  const config = plan.details?.host as HostConfig | undefined;
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
  return Object.assign(sandbox, {
    stderr,
    exited: sandbox.exited.then(withLimit),
    stop: async (options?: { graceful?: boolean }) => withLimit(await stop(options)),
  });
}

function describeLimit(kind: LimitKind, config: HostConfig): string | undefined {
  if (kind === 'memory')
    return `the server exceeded its ${config.memoryMb} MB memory limit (heap, or output the client had not read)`;
  if (kind === 'cpu') return `the server used more than ${config.cpuMs} ms of CPU without going idle`;
  return undefined;
}
