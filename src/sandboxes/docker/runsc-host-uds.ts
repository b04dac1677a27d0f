import type Docker from 'dockerode';
import { WardenError } from '../../errors.ts';

/** The runtimeArgs of runsc this project registers (.ci/run, docs/network.md, the probe's fixes). */
export const RUNSC_RUNTIME_ARGS = ['--network=none', '--oci-seccomp', '--host-uds=open'] as const;

/** The daemon.json runtimes entry for runsc, as the fixes quote it. */
export const RUNSC_DAEMON_JSON = JSON.stringify({
  runtimes: { runsc: { path: '/usr/bin/runsc', runtimeArgs: RUNSC_RUNTIME_ARGS } },
});

/**
 * Pure: the `-host-uds` mode runsc runs with, from its runtimeArgs as `docker info` lists them. Go's
 * flag syntax: `-host-uds=V`, `--host-uds=V`, or the value as the next argument; the last one wins.
 * The deprecated boolean `-fsgofer-host-uds` means `all`. Default `none`.
 */
export function runscHostUds(runtimeArgs: readonly string[]): string {
  let mode = 'none';
  for (let i = 0; i < runtimeArgs.length; i++) {
    const arg = runtimeArgs[i] ?? '';
    const uds = /^--?host-uds(?:=(.*))?$/.exec(arg);
    if (uds) {
      const value = uds[1] ?? runtimeArgs[++i];
      if (value !== undefined) mode = value;
      continue;
    }
    const legacy = /^--?fsgofer-host-uds(?:=(.*))?$/.exec(arg);
    if (legacy && ['', undefined, 'true', 't', '1', 'TRUE', 'True', 'T'].includes(legacy[1])) mode = 'all';
  }
  return mode;
}

/** Can a sandbox under runsc with these runtimeArgs connect to a host unix socket mounted into it? */
export function runscConnectsHostSockets(runtimeArgs: readonly string[]): boolean {
  return ['open', 'all'].includes(runscHostUds(runtimeArgs));
}

/** How to let gVisor sandboxes reach the warden's egress proxy socket. */
export const HOST_UDS_FIX =
  `add "--host-uds=open" to the runtimeArgs of runsc in /etc/docker/daemon.json (${RUNSC_DAEMON_JSON}), ` +
  'then reload the engine (kill -HUP $(pidof dockerd)); until then use --profile docker or bwrap for a network allowlist';

/**
 * The error when gVisor is asked for egress by allowlist but runsc cannot connect to host unix sockets
 * (the relay inside reaches the proxy only through one). The backend is unavailable for this session
 * (exit 69, as the session's audit records a launch failure; `auto` moves on to docker), and the
 * message names the exact fix.
 */
export function hostUdsError(runtimeArgs: readonly string[]): WardenError {
  return new WardenError(
    'backend-unavailable',
    `a network allowlist needs the gvisor sandbox to connect to the warden's proxy socket, but runsc runs with host-uds ${runscHostUds(runtimeArgs)} (runtimeArgs ${JSON.stringify(runtimeArgs)}), which refuses it`,
    { hint: HOST_UDS_FIX },
  );
}

/**
 * Throw hostUdsError unless the engine's runsc lets a sandbox connect to a host unix socket (the
 * egress relay inside a gVisor sandbox reaches the proxy only through one). One `docker info`.
 */
export async function requireRunscHostUds(docker: Pick<Docker, 'info'>): Promise<void> {
  const info = (await docker.info()) as { Runtimes?: Record<string, { runtimeArgs?: string[] }> };
  const runtimeArgs = info.Runtimes?.runsc?.runtimeArgs ?? [];
  if (!runscConnectsHostSockets(runtimeArgs)) throw hostUdsError(runtimeArgs);
}
