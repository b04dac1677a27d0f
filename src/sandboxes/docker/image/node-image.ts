import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import type Docker from 'dockerode';
import { errorMessage, WardenError } from '../../../errors.ts';
import { readCached, writeCached } from '../../../util/disk-cache.ts';
import { runtimeLibraries } from '../../launch-spec/runtime-libraries.ts';
import { IMAGE_NODE, type ImageRef } from '../container-plan.ts';
import { collectHostEntries, type ImageEntry } from './image-entries.ts';
import { imageTar } from './image-tar.ts';

/** Repository of the runtime images; the tag is content-addressed. */
export const IMAGE_REPOSITORY = 'mcp-warden/node';
/** Bumped whenever the image layout changes, so old images are not reused. */
const IMAGE_FORMAT = 1;

// Users the server may run as: root for files, nobody for the server (container-plan.ts containerUser).
const PASSWD =
  'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

/**
 * The image for the node binary `nodePath` (default: the node running the warden): its tag is a hash of
 * the binary's content, computed once per binary (cached by path, size and mtime), so the image is
 * rebuilt only when node changes.
 */
export function nodeImageRef(cacheDir: string | undefined, nodePath = process.execPath): ImageRef {
  const real = realpathSync(nodePath);
  const stat = statSync(real);
  const key = `node-image-hash\0${IMAGE_FORMAT}\0${real}\0${stat.size}\0${stat.mtimeMs}\0${stat.ino}`;
  let hash = cacheDir === undefined ? undefined : readCached<string>(cacheDir, key);
  if (hash === undefined) {
    hash = hashFile(real);
    if (cacheDir !== undefined) writeCached(cacheDir, key, hash);
  }
  return { tag: `${IMAGE_REPOSITORY}:${hash.slice(0, 16)}-${IMAGE_FORMAT}`, nodeRealPath: real };
}

/**
 * Pure: the filesystem of the runtime image: node at IMAGE_NODE (and at its host path, hard-linked),
 * its shared libraries at their host paths, /etc/passwd and /etc/group, an empty /tmp. Nothing else:
 * no shell, no package manager, no other binaries.
 */
export function nodeImageEntries(nodeRealPath: string, hostEntries: readonly ImageEntry[]): ImageEntry[] {
  const node = hostEntries.find((entry) => entry.name === nodeRealPath && entry.type === 'file');
  if (node?.type !== 'file') throw new Error(`the node binary ${nodeRealPath} is not among the image files`);
  return [
    ...['/usr', '/usr/local', '/usr/local/bin', '/etc'].map((name) => ({
      type: 'directory' as const,
      name,
      mode: 0o755,
    })),
    { type: 'directory', name: '/tmp', mode: 0o1777 },
    { type: 'file', name: IMAGE_NODE, mode: 0o755, size: node.size, source: node.source },
    { type: 'content', name: '/etc/passwd', mode: 0o644, content: PASSWD },
    { type: 'content', name: '/etc/group', mode: 0o644, content: GROUP },
    ...hostEntries
      .filter((entry) => !['/usr', '/usr/local', '/usr/local/bin', '/etc', '/tmp'].includes(entry.name))
      // node itself is hard-linked at its host path, unless that path is IMAGE_NODE already.
      .filter((entry) => !(entry === node && entry.name === IMAGE_NODE))
      .map((entry): ImageEntry =>
        entry === node ? { type: 'link', name: entry.name, target: IMAGE_NODE } : entry,
      ),
  ];
}

/** Whether the engine already has the image. */
export async function hasImage(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw new WardenError('launch-failed', `cannot inspect image ${tag}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

const inFlight = new Map<string, Promise<void>>();

/** Build the image unless the engine has it. `onProgress` gets human lines for stderr. */
export function ensureNodeImage(
  docker: Docker,
  ref: ImageRef,
  onProgress?: (line: string) => void,
): Promise<void> {
  let pending = inFlight.get(ref.tag);
  if (pending === undefined) {
    pending = hasImage(docker, ref.tag).then((present) =>
      present ? undefined : buildNodeImage(docker, ref, onProgress),
    );
    inFlight.set(ref.tag, pending);
    pending.catch(() => inFlight.delete(ref.tag));
  }
  return pending;
}

/**
 * Assemble the runtime image from the host's node and the libraries it links, as a tar stream, and
 * import it into the engine under `ref.tag` (no registry involved). Progress lines: start, every 25%,
 * done. Throws WardenError('launch-failed') saying what failed.
 */
export async function buildNodeImage(
  docker: Docker,
  ref: ImageRef,
  onProgress?: (line: string) => void,
): Promise<void> {
  if (ref.nodeRealPath === undefined)
    throw new WardenError('internal', `image ${ref.tag} has no node to build from`);
  const started = performance.now();
  let entries: ImageEntry[];
  try {
    const libraries = await runtimeLibraries(ref.nodeRealPath);
    entries = nodeImageEntries(ref.nodeRealPath, collectHostEntries([ref.nodeRealPath, ...libraries]));
  } catch (error) {
    throw new WardenError(
      'launch-failed',
      `cannot assemble the sandbox image from ${ref.nodeRealPath}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  const total = entries.reduce((sum, entry) => sum + (entry.type === 'file' ? entry.size : 0), 0);
  const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);
  onProgress?.(
    `mcp-warden: building sandbox image ${ref.tag} from ${ref.nodeRealPath} (${mb(total)} MB, once per node version)`,
  );
  let written = 0;
  let reported = 0;
  const tar = await imageTar(entries, (bytes) => {
    written += bytes;
    const quarter = Math.floor((written / Math.max(total, 1)) * 4);
    if (quarter > reported && quarter < 4) {
      reported = quarter;
      onProgress?.(`mcp-warden: building sandbox image… ${quarter * 25}%`);
    }
  });
  const [repo, tag] = ref.tag.split(':') as [string, string];
  try {
    const response = await docker.importImage(tar as unknown as NodeJS.ReadableStream, { repo, tag });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(response, (error: Error | null, output: Array<{ error?: string }>) => {
        const failed = error ?? output.find((item) => item.error !== undefined)?.error;
        if (failed) reject(failed instanceof Error ? failed : new Error(failed));
        else resolve();
      });
    });
  } catch (error) {
    throw new WardenError(
      'launch-failed',
      `cannot import the sandbox image ${ref.tag}: ${errorMessage(error)}`,
      {
        cause: error,
        hint: 'check that the docker engine is running and has disk space (docker system df)',
      },
    );
  } finally {
    tar.destroy();
  }
  onProgress?.(
    `mcp-warden: built sandbox image ${ref.tag} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** sha256 of a file, synchronously (once per node binary: the result is cached on disk). */
function hashFile(file: string): string {
  const hash = createHash('sha256');
  hash.update(`mcp-warden-node-image-${IMAGE_FORMAT}\0`);
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  const fd = openSync(file, 'r');
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer))
      hash.update(buffer.subarray(0, read));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
