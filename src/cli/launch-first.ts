import { WardenError } from '../errors.ts';
import type { BackendName, Sandbox } from '../sandboxes/types.ts';
import type { PreparedSession } from './prepare-session.ts';

/** One `auto` fallback: `from` probed fine but could not launch, so the session moved on to `to`. */
export interface BackendFallback {
  from: BackendName;
  to: BackendName;
  reason: string;
}

export interface LaunchFirstOptions {
  /** true for `--profile auto`: a backend-unavailable launch failure moves on to the next backend. */
  auto: boolean;
  /** Prepare the session again without the backends in `skip` (name → why). */
  prepare: (skip: ReadonlyMap<BackendName, string>) => Promise<PreparedSession>;
  /** Launch `prepared` (starting what it needs first, e.g. its egress proxy). */
  launch: (prepared: PreparedSession) => Promise<Sandbox>;
  /** Told of each fallback as it happens (stderr). */
  onFallback: (fallback: BackendFallback) => void;
}

/**
 * Launch the first sandbox of a session. With an explicit profile the launch promise is returned at
 * once (its failure is the session's to report). With `auto`, a probe can be right and the launch
 * still fail for want of the backend (a probe cached by another login, a socket whose permissions
 * changed): on WardenError('backend-unavailable') the session is prepared again on the next backend of
 * the auto order, with a warning, instead of failing. Other launch failures are the session's.
 * Throws what `prepare` throws when no backend is left.
 */
export async function launchFirst(
  prepared: PreparedSession,
  options: LaunchFirstOptions,
): Promise<{ prepared: PreparedSession; sandbox: Promise<Sandbox>; fallbacks: BackendFallback[] }> {
  const fallbacks: BackendFallback[] = [];
  const skip = new Map<BackendName, string>();
  for (let current = prepared; ;) {
    const sandbox = options.launch(current);
    if (!options.auto) return { prepared: current, sandbox, fallbacks };
    try {
      await sandbox;
      return { prepared: current, sandbox, fallbacks };
    } catch (error) {
      if (!(error instanceof WardenError) || error.code !== 'backend-unavailable') {
        sandbox.catch(() => undefined); // reported through the session, which awaits it
        return { prepared: current, sandbox, fallbacks };
      }
      skip.set(current.backend.name, error.message);
      const next = await options.prepare(skip);
      const fallback = { from: current.backend.name, to: next.backend.name, reason: error.message };
      fallbacks.push(fallback);
      options.onFallback(fallback);
      current = next;
    }
  }
}
