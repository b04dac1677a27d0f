// Private copies of the device nodes bwrap's `--dev` would bind from the host.
//
// bwrap maps the sandbox user to the warden's own uid. For a root warden that is uid 0, the owner of
// the host's /dev/null, /dev/zero...: the server, as their owner, could chmod, chown and touch them
// (`chmod 600 /dev/null` broke /dev/null for the whole host). A read-only bind refuses that but is
// also nodev, so the nodes could no longer be opened. Instead the sandbox gets its own nodes (same
// device numbers, mode 0666) owned by a uid it is not mapped to: opening them works as before, while
// chmod, chown and utimes answer EPERM, so one set, created once per cache directory, serves every
// sandbox. A non-root warden owns no host device node and keeps the host's.
import { spawnSync } from 'node:child_process';
import {
  type Stats,
  chmodSync,
  closeSync,
  constants,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { WardenError, errorMessage } from '../../errors.ts';

/** The device nodes bwrap's `--dev` binds from the host into the sandbox's /dev (bwrap 0.8). */
export const BWRAP_DEV_NODES: readonly string[] = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
/**
 * Owner (uid and gid) of the private nodes: the host's nobody, a uid no sandbox of a root warden is
 * mapped to. Only root can reach the nodes (their directory is 0700), so nobody's own processes cannot
 * change them either.
 */
export const PRIVATE_DEVICE_OWNER = 65534;
const COPY_TIMEOUT_MS = 5000;

/** A character device by name under /dev and its device number (st_rdev). */
export interface DeviceNode {
  name: string;
  rdev: number;
}

/** The private nodes a sandbox gets instead of the host's: `dir`/NAME is bound over /dev/NAME. */
export interface PrivateDevices {
  dir: string;
  nodes: readonly DeviceNode[];
}

/**
 * The device nodes of BWRAP_DEV_NODES under `devDir` that a sandbox mapped to `uid` owns or could come
 * to own (and then chmod): those `uid` owns, and for uid 0 every one of them, whoever owns it at plan
 * time, because root's processes may chown a node back to root between the plan and the sandbox's use
 * of it (a plan made while /dev/null was someone else's left the host's bound, and a later chown back
 * to root made it the sandbox's). Nodes that are missing or not character devices are left out. Empty
 * for a non-root warden on any ordinary host. Costs one stat per node.
 */
export function devicesOwnedBy(uid: number | undefined, devDir = '/dev'): DeviceNode[] {
  if (uid === undefined) return [];
  return BWRAP_DEV_NODES.flatMap((name) => {
    // stat, not lstat: bwrap binds what the name resolves to.
    const stat = statSync(path.join(devDir, name), { throwIfNoEntry: false });
    return stat?.isCharacterDevice() === true && (uid === 0 || stat.uid === uid)
      ? [{ name, rdev: stat.rdev }]
      : [];
  });
}

/** Where the private nodes of the warden with cache directory `cacheDir` live. */
export function privateDevicesDir(cacheDir: string): string {
  return path.join(cacheDir, 'bwrap-dev');
}

/**
 * Make sure `devices.dir` holds exactly the private nodes: a directory of the warden's own, mode 0700,
 * and each node a character device with the host's device number, mode 0666, owned by
 * PRIVATE_DEVICE_OWNER. The check is a few lstat calls; only when it fails (first use, a reboot that
 * cleared a tmpfs cache, tampering) are the nodes copied from `sourceDir` (one `cp -R -p`, which
 * recreates device nodes rather than reading them) into a staging directory and swapped in whole.
 * Throws WardenError('backend-unavailable') saying how to fix it when they cannot be made (no
 * CAP_MKNOD, a cache directory on a nodev filesystem); leaves no staging directory behind.
 */
export function ensurePrivateDevices(devices: PrivateDevices, sourceDir = '/dev'): void {
  if (devices.nodes.length === 0 || isReady(devices)) return;
  const parent = path.dirname(devices.dir);
  let staging: string | undefined;
  try {
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    staging = mkdtempSync(path.join(parent, `.${path.basename(devices.dir)}-`));
    copyNodes(devices.nodes, sourceDir, staging);
    install(staging, devices);
  } catch (error) {
    if (error instanceof WardenError) throw error;
    throw unavailable(devices, errorMessage(error), error);
  } finally {
    if (staging !== undefined) rmSync(staging, { recursive: true, force: true });
  }
}

/** True when `devices.dir` is ours, closed to others, and every node is a correct private node. */
function isReady(devices: PrivateDevices): boolean {
  const dir = lstatSync(devices.dir, { throwIfNoEntry: false });
  if (dir?.isDirectory() !== true || dir.uid !== process.getuid?.() || (dir.mode & 0o077) !== 0) return false;
  return devices.nodes.every((node) =>
    isPrivateNode(lstatSync(path.join(devices.dir, node.name), { throwIfNoEntry: false }), node.rdev),
  );
}

function isPrivateNode(stat: Stats | undefined, rdev: number): boolean {
  return (
    stat?.isCharacterDevice() === true &&
    stat.rdev === rdev &&
    stat.uid === PRIVATE_DEVICE_OWNER &&
    stat.gid === PRIVATE_DEVICE_OWNER &&
    (stat.mode & 0o7777) === 0o666
  );
}

function copyNodes(nodes: readonly DeviceNode[], sourceDir: string, staging: string): void {
  const copy = spawnSync(
    'cp',
    ['-R', '-p', '--', ...nodes.map((node) => path.join(sourceDir, node.name)), staging],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: COPY_TIMEOUT_MS },
  );
  if (copy.error !== undefined || copy.status !== 0) {
    const said = copy.stderr?.trim().split('\n').at(-1);
    throw new Error(`cp -R -p failed: ${copy.error?.message ?? said ?? `exit status ${copy.status}`}`);
  }
  for (const node of nodes) {
    const file = path.join(staging, node.name);
    // Checked before the mode and owner change, which would follow a link: where a host's /dev name is
    // a symlink (cp copies it as one), they would land on the host's own node.
    const copied = lstatSync(file);
    if (!copied.isCharacterDevice() || copied.rdev !== node.rdev)
      throw new Error(`${node.name} was not copied as a character device`);
    chmodSync(file, 0o666);
    lchownSync(file, PRIVATE_DEVICE_OWNER, PRIVATE_DEVICE_OWNER);
    if (!isPrivateNode(lstatSync(file), node.rdev))
      throw new Error(`${node.name} was not copied as a character device`);
    // A nodev filesystem keeps the node but refuses to open it: the sandbox would have no /dev/null.
    // (/dev/tty opens only with a controlling terminal, so it says nothing either way.)
    if (node.name !== 'tty') closeSync(openSync(file, constants.O_RDONLY | constants.O_NONBLOCK));
  }
}

/** Swap the staged directory in; another warden's valid copy (a race) is kept. */
function install(staging: string, devices: PrivateDevices): void {
  try {
    renameSync(staging, devices.dir);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw error;
  }
  if (isReady(devices)) return;
  // A stale or tampered copy is in the way: move it aside, put ours in, drop it.
  const stale = `${staging}.stale`;
  renameSync(devices.dir, stale);
  try {
    renameSync(staging, devices.dir);
  } finally {
    rmSync(stale, { recursive: true, force: true });
  }
}

function unavailable(devices: PrivateDevices, reason: string, cause: unknown): WardenError {
  const names = devices.nodes.map((node) => `/dev/${node.name}`).join(', ');
  return new WardenError(
    'backend-unavailable',
    `cannot create the bwrap sandbox's private device nodes in ${devices.dir}: ${reason}`,
    {
      cause,
      hint:
        `the warden runs as uid ${process.getuid?.()}, the owner of the host's ${names}; bwrap maps the ` +
        'sandbox user to that uid, so the server gets private copies instead (made with mknod, which ' +
        'needs CAP_MKNOD and a filesystem not mounted nodev). Set MCP_WARDEN_CACHE_DIR to a directory ' +
        'on such a filesystem, run the warden as a non-root user, or use --profile docker or gvisor',
    },
  );
}
