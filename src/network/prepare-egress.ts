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
  /** False for backends that reach the proxy without the in-sandbox relay (SHIM_BACKENDS, LOOPBACK_BACKENDS). */
  relay?: boolean;
  /**
   * True for LOOPBACK_BACKENDS: the proxy must also listen on 127.0.0.1 (startSessionEgress's
   * `loopback`), and the sandbox is planned again with that entry (withLoopbackEntry) before launch.
   */
  loopback?: boolean;
}

/** Backends whose shims reach the proxy socket host-side (the isolate's fetch/http): no relay inside. */
const SHIM_BACKENDS: ReadonlySet<BackendName> = new Set(['isolate']);

/**
 * Backends with no private network to put a relay in (seatbelt: the server shares the host's network
 * stack): the proxy listens on the host's loopback too, and the sandbox may connect to that one port.
 */
const LOOPBACK_BACKENDS: ReadonlySet<BackendName> = new Set(['seatbelt']);

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
  if (LOOPBACK_BACKENDS.has(backend))
    return { mode, socketPath: proxySocketPath(), relay: false, loopback: true };
  if (!RELAY_BACKENDS.has(backend) && !SHIM_BACKENDS.has(backend)) {
    throw new WardenError('config', `a network allowlist is not supported on the ${backend} backend yet`, {
      hint: 'egress by allowlist runs on none, bwrap, docker, gvisor, isolate and seatbelt; use one of those or leave network off',
    });
  }
  return { mode, socketPath: proxySocketPath(), relay: !SHIM_BACKENDS.has(backend) };
}

/**
 * Put the relay in front of the server in `spec` (in place) when egress is proxied: the warden's node
 * and its libraries and the relay script are mounted read-only; the socket's directory is noted for
 * the backend. For SHIM_BACKENDS only the socket is noted (spec.egress); for LOOPBACK_BACKENDS also
 * that the sandbox reaches the proxy on the host's loopback (spec.egress.loopback, its entry still
 * unknown). A no-op otherwise.
 */
export async function applyEgress(spec: LaunchSpec, egress: PreparedEgress, cacheDir: string): Promise<void> {
  if (egress.socketPath === undefined) return;
  if (egress.relay === false) {
    spec.egress = {
      socketDir: path.dirname(egress.socketPath),
      socketPath: egress.socketPath,
      ...(egress.loopback === true ? { loopback: {} } : {}),
    };
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
