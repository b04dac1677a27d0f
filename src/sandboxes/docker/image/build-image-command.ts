import { WardenError } from '../../../errors.ts';
import { probeContainerBackend } from '../docker-probe.ts';
import { dockerConnection } from '../docker-connection.ts';
import { buildNodeImage, hasImage, nodeImageRef } from './node-image.ts';

export interface BuildImageOptions {
  cacheDir: string;
  /** Rebuild even when the engine has the image. */
  force: boolean;
  onProgress: (line: string) => void;
}

/**
 * `mcp-warden image build`: make sure the engine has the node runtime image for the node running the
 * warden. Resolves with its tag and whether it was built now. WardenError('backend-unavailable') when
 * no engine answers, saying how to get one.
 */
export async function buildSandboxImage(
  options: BuildImageOptions,
): Promise<{ tag: string; built: boolean }> {
  const engine = await probeContainerBackend('docker', options.cacheDir);
  if (!engine.available) {
    throw new WardenError('backend-unavailable', `cannot build the sandbox image: ${engine.reason}`, {
      hint: engine.fix,
    });
  }
  const docker = await dockerConnection();
  const ref = nodeImageRef(options.cacheDir);
  if (!options.force && (await hasImage(docker, ref.tag))) return { tag: ref.tag, built: false };
  await buildNodeImage(docker, ref, options.onProgress);
  return { tag: ref.tag, built: true };
}
