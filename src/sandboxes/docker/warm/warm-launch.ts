import { errorMessage } from '../../../errors.ts';
import type { Sandbox, WarmOutcome } from '../../types.ts';
import type { ContainerCreateBody } from '../container-plan.ts';
import { attachContainer } from '../container-sandbox.ts';
import { dockerConnection } from '../docker-connection.ts';
import { processStartTime } from '../owner.ts';
import type { Lifeline } from '../watchdog.ts';
import { connectPool, type PoolConnection, startDaemon } from './pool-client.ts';
import { poolPaths, preparePoolDir } from './pool-paths.ts';
import { POOL_PROTOCOL_VERSION } from './pool-wire.ts';

/** A daemon that does not accept within this is treated as absent (it is local: it answers at once). */
const CONNECT_TIMEOUT_MS = 500;
/** A take answered later than this is abandoned for a launch on demand. */
const TAKE_TIMEOUT_MS = 2000;

/**
 * `run --warm` on docker/gvisor: take a ready container of exactly this plan from the user's pool
 * daemon (pool-daemon.ts) and attach to it; otherwise `onDemand()`, the usual launch. Whatever goes
 * wrong with the pool (no daemon, a stale socket, a container gone, an attach refused) ends in the
 * launch on demand, never in a failed session; the outcome is on the sandbox (`warm`, audited by run).
 * A hit keeps the connection to the daemon open for the session: the daemon removes the container if
 * this warden dies. A miss tells the daemon when the launch is done, so that its refill does not
 * compete with this start. The first warden without a daemon starts one and gives it the plan.
 */
export async function launchWarm(
  body: ContainerCreateBody,
  onDemand: () => Promise<Sandbox>,
): Promise<Sandbox> {
  const paths = poolPaths();
  const problem = preparePoolDir(paths);
  if (problem !== undefined) return outcome(await onDemand(), false, `no warm pool: ${problem}`);
  const plan = { version: POOL_PROTOCOL_VERSION, engine: process.env.DOCKER_HOST ?? '', body };
  const pool = await connectPool(paths.socket, CONNECT_TIMEOUT_MS);
  if (pool === undefined) {
    startDaemon(paths, { type: 'prepare', ...plan });
    const sandbox = await onDemand();
    return outcome(sandbox, false, 'no pool daemon was running: started one, which keeps this plan ready');
  }
  const taker = { pid: process.pid, startTime: processStartTime(process.pid) };
  const answer = pool.request({ type: 'take', ...plan, taker }, TAKE_TIMEOUT_MS);
  // A hit attaches through dockerode: loading it (tens of ms) overlaps the daemon's work on the take.
  const engine = dockerConnection();
  engine.catch(() => undefined);
  const reply = await answer;
  let why: string;
  if (reply?.type === 'hit') {
    try {
      const sandbox = await attachContainer(
        await engine,
        reply.id,
        lifelineOf(pool),
        reply.name,
        Buffer.from(reply.stderr, 'base64'),
      );
      pool.send({ type: 'attached' });
      pool.unref();
      return outcome(sandbox, true, `took ready container ${reply.id.slice(0, 12)}`);
    } catch (error) {
      // Closing the connection makes the daemon remove what it handed over.
      pool.end();
      why = `the ready container could not be attached (${errorMessage(error)})`;
      return outcome(await onDemand(), false, why);
    }
  }
  why =
    reply === undefined || reply.type === 'ok' || reply.type === 'status'
      ? 'the pool daemon did not answer'
      : reply.reason;
  try {
    const sandbox = await onDemand();
    pool.send({ type: 'launched' });
    return outcome(sandbox, false, why);
  } finally {
    pool.end();
  }
}

/** The daemon connection as the container's watchdog claim: released once the warden removed it. */
function lifelineOf(pool: PoolConnection): Lifeline {
  return { release: () => pool.end() };
}

function outcome(sandbox: Sandbox, hit: boolean, detail: string): Sandbox {
  const warm: WarmOutcome = { hit, detail };
  return Object.assign(sandbox, { warm });
}
