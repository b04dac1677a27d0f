import { errorMessage } from '../../errors.ts';
import type { Sandbox } from '../../sandboxes/types.ts';
import { stateDir } from '../../util/state-dir.ts';
import type { RunArgs } from '../args.ts';
import type { PreparedSession } from '../prepare-session.ts';
import { buildEntry } from './build-entry.ts';
import { type StoredPlan, planDifference, serializeEntry, storedPlan } from './cache-entry.ts';
import { touchEntry, writePrivateFile } from './cache-file.ts';
import { type EarlyStart, NO_FAST_START_VAR, takeEarlyStart } from './early-launch.ts';
import { exposedDirProblem } from './entry-checks.ts';
import { recordLookup } from './record-lookup.ts';

/**
 * What the fast start did for this session, for its audit event: `adopted` (the sandbox spawned from
 * the cached launch became the session's), `replaced` (it was spawned, but the prepared plan differs:
 * killed before it got any client byte, and the prepared plan launched), `miss` (nothing spawned;
 * `detail` says why), `off` (MCP_WARDEN_NO_FAST_START). `cacheable`: this session's launch is one the
 * fast start caches for the next start.
 */
export interface FastStartOutcome {
  outcome: 'adopted' | 'replaced' | 'miss' | 'off';
  detail: string;
  cacheable: boolean;
}

let outcome: FastStartOutcome | undefined;

/** What launchOrAdopt needs besides the prepared session. */
export interface AdoptOptions {
  /** The `run` arguments the session was prepared from (--record and --learn sessions are not cached). */
  args: RunArgs;
  /** true when `auto` fell back to this backend: such a session is never cached. */
  fallback: boolean;
  /** Launch `prepared` the normal way. */
  launch: () => Promise<Sandbox>;
}

/**
 * Launch the prepared session, adopting the sandbox the fast start spawned (early-start.ts) when the
 * plan `prepareSession` just made is the cached one, byte for byte (argv, environment, working
 * directory, descriptor inputs, details); else killing that sandbox, which has received nothing from
 * the client (only the session reads stdin), and launching the new plan. A plain session (bwrap,
 * none or isolate, no egress proxy, no --record or --learn, no auto fallback) is then cached for the
 * next start of the same configuration, after its launch and off the critical path.
 */
export async function launchOrAdopt(prepared: PreparedSession, options: AdoptOptions): Promise<Sandbox> {
  const early = takeEarlyStart();
  if (early === undefined) return options.launch();
  if (early.kind === 'off') {
    outcome = { outcome: 'off', detail: `${NO_FAST_START_VAR} is set`, cacheable: false };
    return options.launch();
  }
  const plan = cacheable(prepared, options) ? storedPlan(prepared.plan) : undefined;
  if (early.kind === 'spawned') {
    const differs =
      plan === undefined
        ? 'this session is not one the fast start caches'
        : planDifference(early.entry.plan, plan);
    const spawned = await early.sandbox.then(
      (sandbox) => ({ sandbox }),
      (error: unknown) => ({ error: errorMessage(error) }),
    );
    if (differs === undefined && 'sandbox' in spawned) {
      outcome = { outcome: 'adopted', detail: early.file, cacheable: true };
      touchEntry(early.file);
      if (prepared.plan.backend !== 'isolate') return spawned.sandbox;
      // An isolate host was only spawned (launch-host-plan.ts): its launch ends as the backend's does.
      const { finishIsolateLaunch } = await import('../../sandboxes/isolate/isolate-launch.ts');
      return finishIsolateLaunch(spawned.sandbox, prepared.plan);
    }
    if ('sandbox' in spawned) await discard(spawned.sandbox);
    outcome = {
      outcome: 'replaced',
      detail:
        'error' in spawned
          ? `the cached launch failed to start: ${spawned.error}`
          : `the prepared plan differs from the cached one (${differs})`,
      cacheable: plan !== undefined,
    };
  } else {
    outcome = { outcome: 'miss', detail: early.reason, cacheable: plan !== undefined };
  }
  const launched = options.launch();
  if (plan !== undefined) {
    void launched.then(
      // After the spawn, while the server boots: the write costs the client nothing.
      () => setImmediate(() => store(early, prepared, plan, options.args)),
      () => undefined,
    );
  }
  return launched;
}

/** The fast start's audit event for this session; undefined when the fast start never ran. */
export function fastStartEvent(): ({ event: 'fast-start' } & FastStartOutcome) | undefined {
  return outcome === undefined ? undefined : { event: 'fast-start', ...outcome };
}

function cacheable(prepared: PreparedSession, options: AdoptOptions): boolean {
  const { args } = options;
  return (
    !options.fallback &&
    args.record === undefined &&
    args.learn === undefined &&
    args.learnNetwork !== true &&
    prepared.egress.mode.kind !== 'proxy' &&
    prepared.spec.egress === undefined
  );
}

/** Kill a sandbox nobody will use, its output unread. */
async function discard(sandbox: Sandbox): Promise<void> {
  sandbox.stdout.resume();
  sandbox.stderr.resume();
  await sandbox.stop({ graceful: false });
}

function store(
  early: Exclude<EarlyStart, { kind: 'off' }>,
  prepared: PreparedSession,
  plan: StoredPlan,
  args: RunArgs,
): void {
  try {
    // Never where a sandboxed server could write (a read-write root of some session).
    const inRecord = recordLookup(stateDir(process.env));
    if (exposedDirProblem(early.dir, inRecord) !== undefined) return;
    const entry = buildEntry(early.key, prepared, plan, args, process.env, inRecord);
    writePrivateFile(early.dir, early.file.slice(early.dir.length + 1), serializeEntry(entry));
  } catch {
    // Only the next start's speed is lost.
  }
}
