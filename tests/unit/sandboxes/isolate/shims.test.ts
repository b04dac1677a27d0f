// The guest shims, run for real: the isolate host process (host-main) runs a probe script that uses
// every shimmed module and prints what it saw; the same script under plain Node is the reference.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_CONFIG_ENV, type HostConfig } from '../../../../src/sandboxes/isolate/host-config.ts';
import { formatStartStatus } from '../../../../src/sandboxes/isolate/start-status.ts';
import { tmpRoot } from '../../../helpers/tmp-root.ts';
import { PROJECT_ROOT } from '../../../helpers/warden.ts';

const HOST_MAIN = path.join(PROJECT_ROOT, 'src/sandboxes/isolate/host-main.ts');
const PROBE = path.join(PROJECT_ROOT, 'tests/fixtures/isolate/shim-probe.mjs');

function run(
  argv: string[],
  env: Record<string, string> = {},
): { status: number | null; out: unknown; stderr: string } {
  const result = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', env, timeout: 30_000 });
  const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
  return {
    status: result.status,
    out: line === undefined ? undefined : JSON.parse(line),
    stderr: result.stderr,
  };
}

describe('isolate guest shims', () => {
  it('behave like Node for what the probe uses, and process.exit(3) ends the host with 3', () => {
    const isolateRoot = tmpRoot('isolate-shims');
    const nodeRoot = tmpRoot('node-shims');
    const config: HostConfig = {
      entry: PROBE,
      argv: [process.execPath, PROBE, isolateRoot],
      env: {},
      cwd: isolateRoot,
      roots: [{ path: isolateRoot, realPath: isolateRoot, readOnly: false }],
      readOnlyPaths: [],
      memoryMb: 64,
      cpuMs: 5000,
      cacheDir: tmpRoot('isolate-cache'),
    };
    const isolated = run([process.execPath, HOST_MAIN], { [HOST_CONFIG_ENV]: JSON.stringify(config) });
    const direct = run([process.execPath, PROBE, nodeRoot]);
    // Nothing on stderr but the host's start-up report (the bundle was accepted).
    expect(isolated.stderr).toBe(formatStartStatus({ ok: true }));
    expect(isolated.status).toBe(3);
    expect(direct.status).toBe(3);
    const normalise = (value: unknown, root: string): unknown =>
      JSON.parse(JSON.stringify(value).replaceAll(root, 'ROOT'));
    expect(normalise(isolated.out, isolateRoot)).toEqual(normalise(direct.out, nodeRoot));
    expect(isolated.out).toMatchObject({
      fs: {
        read: 'line1\nline2\n',
        stream: 'line1\nline2\n',
        missing: 'ENOENT',
        copied: ['line1\nline2\n', '600'],
        modes: ['700', '640'],
        recursive: ['b', 'b/moved.txt', 'b/n.txt', 'copy.txt', 'private'],
      },
    });
  });
});
