import { WardenError } from '../errors.ts';
import type { LaunchSpec } from '../sandboxes/types.ts';
import type { LoopbackEntry } from './loopback-listener.ts';

/**
 * Pure: `spec` (whose egress reaches the proxy on the host's loopback: `spec.egress.loopback`) with the
 * proxy's loopback entry (port and credential) filled in, for the backend to plan the sandbox's one
 * network rule and its proxy variables. Throws WardenError('internal') for a spec without a loopback
 * egress.
 */
export function withLoopbackEntry(spec: LaunchSpec, entry: LoopbackEntry): LaunchSpec {
  const egress = spec.egress;
  if (egress?.loopback === undefined)
    throw new WardenError('internal', 'withLoopbackEntry: the launch spec has no loopback egress');
  return {
    ...spec,
    egress: { ...egress, loopback: { entry: { port: entry.port, credential: entry.credential } } },
  };
}
