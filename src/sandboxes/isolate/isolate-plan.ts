import path from 'node:path';
import { WardenError } from '../../errors.ts';
import type { LaunchSpec, SandboxPlan } from '../types.ts';
import { HOST_CONFIG_ENV, type HostConfig } from './host-config.ts';

/** Heap limit of the isolate when neither the profile nor --memory sets one (MB). */
export const DEFAULT_MEMORY_MB = 256;
/** CPU a server may burn without going idle before the watchdog ends it (ms); MCP_WARDEN_ISOLATE_CPU_MS overrides. */
export const DEFAULT_CPU_MS = 10_000;

/** Host facts the isolate plan depends on, gathered by the backend so the planner stays pure. */
export interface IsolateHost {
  /** The Node binary that runs the host process (the warden's own, process.execPath). */
  node: string;
  /** The host process entry (host-main.ts or .js, next to this file). */
  hostEntry: string;
  /** `setpriv` for --pdeathsig, or undefined when missing. */
  setpriv: string | undefined;
  cacheDir: string | undefined;
  cpuMs: number;
}

const NODE = /^(node|nodejs)(\d+(\.\d+)*)?$/;

/**
 * The entry script of a Node server and its arguments, from `spec` (node SCRIPT ARGS..., npx resolved on
 * the host to the same shape). Node options before the script are ignored: the isolate has its own V8.
 * Throws WardenError('config') for anything that is not a Node script: the isolate runs only JavaScript.
 */
export function scriptOf(spec: LaunchSpec): { entry: string; args: string[]; ignoredOptions: string[] } {
  const index = spec.args.findIndex((arg) => !arg.startsWith('-'));
  const options = index < 0 ? spec.args : spec.args.slice(0, index);
  if (
    !NODE.test(path.basename(spec.executable)) ||
    index < 0 ||
    options.some((o) => /^(-e|--eval|-p|--print)$/.test(o))
  ) {
    throw new WardenError(
      'config',
      `the isolate profile runs JavaScript servers only: cannot run ${spec.executable} ${spec.args.join(' ')}`.trim(),
      {
        hint: 'give a Node script (node /path/to/server.js ...) or npx -y PKG; for other servers use --profile bwrap or docker',
      },
    );
  }
  return { entry: spec.args[index] as string, args: spec.args.slice(index + 1), ignoredOptions: options };
}

/**
 * Pure: the isolate host's command line, the same for every server (the server travels in the
 * configuration): the warden's Node running host-main, under `setpriv --pdeathsig KILL` when there is one.
 */
export function hostArgv(host: Pick<IsolateHost, 'node' | 'hostEntry' | 'setpriv'>): string[] {
  const command = [host.node, host.hostEntry];
  return host.setpriv === undefined ? command : [host.setpriv, '--pdeathsig', 'KILL', '--', ...command];
}

/**
 * Pure: the isolate plan for `spec`. argv starts the host process (the warden's Node running host-main);
 * its environment holds only the HostConfig as JSON (HOST_CONFIG_ENV: the guest's env, --env values
 * included, must not be in argv, which every local user can read). `details.host` is that config,
 * which `explain` prints.
 */
export function planIsolate(spec: LaunchSpec, host: IsolateHost): SandboxPlan {
  const { entry, args, ignoredOptions } = scriptOf(spec);
  const config: HostConfig = {
    entry,
    argv: [spec.executable, entry, ...args],
    env: { ...spec.env },
    cwd: spec.cwd,
    // The state home is one more read-write place for the fs shim (the guest's os.homedir() is HOME).
    roots: [
      ...spec.roots,
      ...(spec.stateHome === undefined
        ? []
        : [{ path: spec.stateHome.path, realPath: spec.stateHome.path, readOnly: false }]),
    ],
    // The server's own package (read-only mounts elsewhere), not the runtime: the guest has no use for it.
    readOnlyPaths: spec.readOnlyPaths.filter((p) => !spec.runtimePaths.includes(p)),
    memoryMb: spec.limits.memoryMb ?? DEFAULT_MEMORY_MB,
    cpuMs: host.cpuMs,
    cacheDir: host.cacheDir,
    ...(spec.egress === undefined ? {} : { egressSocket: spec.egress.socketPath }),
  };
  return {
    backend: 'isolate',
    argv: hostArgv(host),
    env: { [HOST_CONFIG_ENV]: JSON.stringify(config) },
    cwd: spec.cwd,
    notes: [
      `code: ${entry} bundled with esbuild from the server's read-only code paths only (JavaScript, TypeScript, JSON); Node built-ins replaced by mcp-warden shims; run in a V8 isolate (isolated-vm) in a child process`,
      `configuration (the guest's environment included): in the host's environment (${HOST_CONFIG_ENV}), never in its argv`,
      'filesystem: every fs call anchored host-side to the roots (read-only roots refuse writes); the server package is readable',
      spec.egress === undefined
        ? 'network, processes, threads, native addons: none (calling them throws "not available under --profile isolate")'
        : `network: egress by allowlist: fetch, http and https are shims whose requests the host sends only to the warden's proxy socket ${spec.egress.socketPath} (plain HTTP in absolute form, HTTPS as CONNECT then TLS); net, tls, dgram and dns stay unavailable`,
      ...(spec.egress === undefined
        ? []
        : [
            'processes, threads, native addons: none (calling them throws "not available under --profile isolate")',
          ]),
      `limits: ${config.memoryMb} MB heap, and as much output not yet read by the client; CPU watchdog ${config.cpuMs} ms without going idle`,
      'environment: exactly the given variables, as the guest’s process.env',
      ...(ignoredOptions.length > 0 ? [`node options ignored: ${ignoredOptions.join(' ')}`] : []),
    ],
    unenforced: [
      ...(spec.limits.cpus === undefined
        ? []
        : [`cpus ${spec.limits.cpus} (the isolate has a CPU-time watchdog, not a share)`]),
      ...(spec.limits.pids === undefined
        ? []
        : [`pids ${spec.limits.pids} (moot: the isolate cannot start processes)`]),
    ],
    details: { host: config },
  };
}
