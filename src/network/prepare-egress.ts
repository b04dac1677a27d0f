import path from 'node:path';
import { WardenError } from '../errors.ts';
import { runtimeLibraries } from '../sandboxes/launch-spec/runtime-libraries.ts';
import type { BackendName, LaunchSpec } from '../sandboxes/types.ts';
import { RELAY_ENTRY, withEgressRelay } from './egress-launch.ts';
import {
  type EgressMode,
  type NetworkValue,
  UNFILTERED_WARNING,
  egressMode,
  proxySocketPath,
} from './egress-settings.ts';

/** A session's egress as prepared: the mode and, when proxied, where the proxy's socket will be. */
export interface PreparedEgress {
  mode: EgressMode;
  /** Set when mode is `proxy`: the unix socket run must listen on before launching. */
  socketPath?: string;
  /** False for backends that reach the proxy without the in-sandbox relay (SHIM_BACKENDS). */
  relay?: boolean;
}

/** Backends whose shims reach the proxy socket host-side (the isolate's fetch/http): no relay inside. */
const SHIM_BACKENDS: ReadonlySet<BackendName> = new Set(['isolate']);

/** Backends whose sandbox gets the relay (withEgressRelay); the others refuse an allowlist for now. */
const RELAY_BACKENDS: ReadonlySet<BackendName> = new Set(['none', 'bwrap', 'docker', 'gvisor']);

/** Decide the egress mode before the launch spec is built (it needs to know about the host network). */
export function planEgress(
  network: NetworkValue,
  allowHosts: readonly string[],
  backend: BackendName,
  warnings: string[],
): PreparedEgress {
  const mode = egressMode(network, allowHosts);
  if (mode.kind === 'unfiltered') warnings.push(UNFILTERED_WARNING);
  if (mode.kind !== 'proxy') return { mode };
  if (!RELAY_BACKENDS.has(backend) && !SHIM_BACKENDS.has(backend)) {
    throw new WardenError('config', `a network allowlist is not supported on the ${backend} backend yet`, {
      hint: 'egress by allowlist runs on none, bwrap, docker, gvisor and isolate (Linux); on macOS leave network off for now (the Seatbelt relay is not built yet)',
    });
  }
  return { mode, socketPath: proxySocketPath(), relay: !SHIM_BACKENDS.has(backend) };
}

/**
 * Put the relay in front of the server in `spec` (in place) when egress is proxied: the warden's node
 * and its libraries and the relay script are mounted read-only; the socket's directory is noted for
 * the backend. For SHIM_BACKENDS only the socket is noted (spec.egress). A no-op otherwise.
 */
export async function applyEgress(spec: LaunchSpec, egress: PreparedEgress, cacheDir: string): Promise<void> {
  if (egress.socketPath === undefined) return;
  if (egress.relay === false) {
    spec.egress = { socketDir: path.dirname(egress.socketPath), socketPath: egress.socketPath };
    return;
  }
  const nodeFiles = await runtimeLibraries(process.execPath, cacheDir);
  Object.assign(
    spec,
    withEgressRelay(spec, {
      socketPath: egress.socketPath,
      node: process.execPath,
      nodeFiles,
      relayEntry: RELAY_ENTRY,
    }),
  );
}
