import path from 'node:path';
import { WardenError } from '../errors.ts';
import type { LaunchSpec } from '../sandboxes/types.ts';

const self = import.meta.filename;
/** relay-main next to this file, with this file's extension (.ts under type stripping, .js in dist). */
export const RELAY_ENTRY = path.join(path.dirname(self), `relay-main${path.extname(self)}`);

/** Where the relay and the proxy socket are, for one session. */
export interface EgressLaunch {
  /** The proxy's unix socket (host path, mounted at the same path inside). */
  socketPath: string;
  /** The node that runs the relay (the warden's own), and the files it needs (itself, its libraries). */
  node: string;
  nodeFiles: readonly string[];
  /** The relay script (RELAY_ENTRY). */
  relayEntry: string;
}

/**
 * Pure: `spec` with the relay in front of the server: the program becomes
 * `node --no-warnings RELAY SOCKET -- PROGRAM ARGS...`, which starts the relay and then execs the
 * server (same pid). The node, its libraries and the relay are mounted read-only, the socket's
 * directory is recorded in `spec.egress` for the backend to mount; host networking stays off.
 */
export function withEgressRelay(spec: LaunchSpec, egress: EgressLaunch): LaunchSpec {
  const readOnlyPaths = [...spec.readOnlyPaths];
  const readOnlyWhy = { ...spec.readOnlyWhy };
  for (const file of [...egress.nodeFiles, egress.relayEntry]) {
    if (readOnlyPaths.includes(file)) continue;
    readOnlyPaths.push(file);
    readOnlyWhy[file] = 'the egress relay (network.allow): node and the relay script';
  }
  const relayArgs = ['--no-warnings', egress.relayEntry, egress.socketPath, '--'];
  return {
    ...spec,
    executable: egress.node,
    args: [...relayArgs, spec.executable, ...spec.args],
    readOnlyPaths,
    readOnlyWhy,
    network: false,
    egress: {
      socketDir: path.dirname(egress.socketPath),
      socketPath: egress.socketPath,
      relay: { runtimePaths: [...egress.nodeFiles], programIndex: relayArgs.length },
    },
  };
}

/**
 * Pure: `spec` (already through withEgressRelay) with its proxy socket moved to `socketPath`: the
 * relay's argument and `spec.egress` name the new socket and its directory. The gateway prepares a
 * server once and gives each session its own proxy this way. A spec without a relay (isolate) only
 * gets the new socket in `spec.egress`. Throws when `spec` has no egress at all.
 */
export function withEgressSocket(spec: LaunchSpec, socketPath: string): LaunchSpec {
  const egress = spec.egress;
  // No relay (isolate: its host-side shims dial the socket named in spec.egress): only the socket moves.
  if (egress !== undefined && !spec.args.includes(egress.socketPath))
    return { ...spec, egress: { ...egress, socketDir: path.dirname(socketPath), socketPath } };
  // The relay's argument: the first occurrence, right before the `--` that ends the relay's options.
  const at = egress === undefined ? -1 : spec.args.indexOf(egress.socketPath);
  if (egress === undefined || at < 0 || spec.args[at + 1] !== '--')
    throw new WardenError('internal', 'withEgressSocket: the launch spec has no egress (relay or socket)');
  const args = [...spec.args];
  args[at] = socketPath;
  return { ...spec, args, egress: { ...egress, socketDir: path.dirname(socketPath), socketPath } };
}
