import type { LaunchSpec } from '../types.ts';

/** The image a container starts from, as far as the command is concerned. */
export interface CommandImage {
  tag: string;
  /** Host realpath of the node binary the image carries; undefined: none (a profile's own image). */
  nodeRealPath: string | undefined;
  /** Where that node is inside the image (container-plan.ts IMAGE_NODE). */
  nodePath: string;
}

/** The container's command, the host files its image provides (not mounted), and the runtime note. */
export interface ContainerCommand {
  argv: string[];
  provided: ReadonlySet<string>;
  note: string;
}

/**
 * Pure: the command with the programs the image provides swapped in for the host's. Without egress
 * the program is the server's (a profile's own image replaces it with its `runtime`). With the egress
 * relay in front (always the warden's node), the relay and the server are swapped independently: the
 * offline image carries the warden's node, and the server's program only when it is that node too.
 */
export function containerCommand(
  spec: LaunchSpec,
  realPaths: { executable: string; program?: string | undefined },
  image: CommandImage,
): ContainerCommand {
  const imageNode = (real: string | undefined): string | undefined =>
    image.nodeRealPath !== undefined && real === image.nodeRealPath ? image.nodePath : undefined;
  const relay = spec.egress?.relay;
  if (relay === undefined) {
    const runtime = spec.containerImage ? spec.containerImage.runtime : imageNode(realPaths.executable);
    return {
      argv: [runtime ?? spec.executable, ...spec.args],
      provided: new Set(runtime === undefined ? [] : spec.runtimePaths),
      note:
        runtime === undefined
          ? `runtime: ${spec.executable} and its libraries mounted read-only from the host`
          : `runtime: ${runtime} from image ${image.tag}`,
    };
  }
  const relayNode = imageNode(realPaths.executable);
  const program = spec.args[relay.programIndex] ?? '';
  const serverRuntime = imageNode(realPaths.program);
  const args = [...spec.args];
  if (serverRuntime !== undefined) args[relay.programIndex] = serverRuntime;
  const provided = new Set(relayNode === undefined ? [] : relay.runtimePaths);
  // The server's own runtime: left to the image when it is the image's node, else mounted even where
  // the relay's node shares a file with it (a library).
  for (const file of spec.runtimePaths) {
    if (serverRuntime === undefined) provided.delete(file);
    else provided.add(file);
  }
  return {
    argv: [relayNode ?? spec.executable, ...args],
    provided,
    note: `runtime: the egress relay on ${relayNode === undefined ? `${spec.executable} (mounted from the host)` : `${relayNode} from image ${image.tag}`}, then the server's ${serverRuntime === undefined ? `${program} and its libraries mounted read-only from the host` : `${serverRuntime} from image ${image.tag}`}`,
  };
}
