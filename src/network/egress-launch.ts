import path from 'node:path';
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
  return {
    ...spec,
    executable: egress.node,
    args: ['--no-warnings', egress.relayEntry, egress.socketPath, '--', spec.executable, ...spec.args],
    readOnlyPaths,
    readOnlyWhy,
    network: false,
    egress: { socketDir: path.dirname(egress.socketPath), socketPath: egress.socketPath },
  };
}
