// vitest globalSetup: the host's device nodes must be root's, mode 0666, before any test runs. Once the
// host's /dev/null was owned by nobody (uid 65534; what did it is not known, runsc has done it to stdio
// it was handed) before a CI run's tests started, so no file's guard (host-devices-guard.ts, which
// compares each file's start and end) could see it, and six tests that run the warden as that user
// failed with a backend error that pointed nowhere near the cause. This fails the run at once instead,
// saying what is wrong, since when, and how to restore it.
import { statSync } from 'node:fs';
import { BWRAP_DEV_NODES } from '../../src/sandboxes/bwrap/private-devices.ts';

/** The host's device nodes the checks watch: those bwrap's `--dev` binds into a sandbox. */
export const HOST_DEVICE_NODES: readonly string[] = BWRAP_DEV_NODES.map((name) => `/dev/${name}`);

/** The nodes that are not root's with mode 0666, described; missing nodes are not this check's business. */
export function unexpectedDeviceNodes(nodes: readonly string[] = HOST_DEVICE_NODES): string[] {
  return nodes.flatMap((node) => {
    const stat = statSync(node, { throwIfNoEntry: false });
    if (stat === undefined || !stat.isCharacterDevice()) return [];
    const mode = stat.mode & 0o7777;
    if (stat.uid === 0 && mode === 0o666) return [];
    return [
      `${node}: owner ${stat.uid}:${stat.gid}, mode ${mode.toString(8)} (changed at ${stat.ctime.toISOString()})`,
    ];
  });
}

export default function setup(): void {
  const wrong = unexpectedDeviceNodes();
  if (wrong.length === 0) return;
  throw new Error(
    `the host's device nodes are not as a host keeps them (root's, mode 0666) before any test ran:\n  ${wrong.join('\n  ')}\n` +
      'Something outside the test files changed them (a container runtime, an earlier run); tests that run the ' +
      'warden as another user would fail with errors that point elsewhere. Restore them as root ' +
      '(chown root:root NODE; chmod 666 NODE) and find the cause: tests/helpers/host-devices-guard.ts names ' +
      'the test file when it happens during one.',
  );
}
