import { WardenError } from '../errors.ts';
import { bwrapBackend } from './bwrap/bwrap-backend.ts';
import { noneBackend } from './none/none-backend.ts';
import { killAllNow } from './process/spawn-sandbox-process.ts';
import type { BuildImageOptions } from './docker/image/build-image-command.ts';
import { lazyBackend } from './lazy-backend.ts';
import type { Backend, BackendName, ProbeOptions } from './types.ts';

/** Every backend name in the design, strongest first (the order `auto` prefers). */
export const BACKEND_NAMES: readonly BackendName[] = [
  'gvisor',
  'docker',
  'seatbelt',
  'bwrap',
  'isolate',
  'none',
];

const implemented: Partial<Record<BackendName, Backend>> = {
  // Loaded on first use: each pulls in modules a session on another backend never needs (start-up time).
  gvisor: lazyBackend('gvisor', async () => (await import('./docker/docker-backend.ts')).gvisorBackend),
  docker: lazyBackend('docker', async () => (await import('./docker/docker-backend.ts')).dockerBackend),
  bwrap: bwrapBackend,
  isolate: lazyBackend('isolate', async () => (await import('./isolate/isolate-backend.ts')).isolateBackend),
  none: noneBackend,
  seatbelt: lazyBackend(
    'seatbelt',
    async () => (await import('./seatbelt/seatbelt-backend.ts')).seatbeltBackend,
  ),
};

/**
 * The backend called `name`. Throws WardenError('backend-unavailable') for a backend of the design
 * that this build does not implement yet. Does not probe: call `probe()` to know whether it runs here.
 */
export function getBackend(name: BackendName): Backend {
  const backend = implemented[name];
  if (backend === undefined) {
    throw new WardenError('backend-unavailable', `the ${name} backend is not implemented in this build`, {
      hint: `${name} arrives in a later release; use --profile bwrap (Linux) or --profile none (no isolation)`,
    });
  }
  return backend;
}

/**
 * The strongest implemented backend that works here (gvisor > docker > seatbelt > bwrap), passing over
 * those in `skip` (name → why: probed fine but failed to launch, see src/cli/launch-first.ts). Never picks
 * `isolate` (JavaScript only) and never falls back to
 * `none`: without a working sandbox it throws WardenError('backend-unavailable') saying how to get one.
 */
export async function pickAuto(
  options: ProbeOptions = {},
  skip: ReadonlyMap<BackendName, string> = new Map(),
): Promise<Backend> {
  const reasons: string[] = [];
  const fixes: string[] = [];
  for (const name of BACKEND_NAMES) {
    const backend = implemented[name];
    // `isolate` runs JavaScript servers only, so it is never a silent default; `none` isolates nothing.
    if (backend === undefined || name === 'none' || name === 'isolate') continue;
    const failed = skip.get(name);
    if (failed !== undefined) {
      reasons.push(`${name}: ${failed}`);
      continue;
    }
    const availability = await backend.probe(options);
    if (availability.available) return backend;
    reasons.push(`${name}: ${availability.reason}`);
    fixes.push(availability.fix);
  }
  throw new WardenError(
    'backend-unavailable',
    `no sandbox backend works here${reasons.length > 0 ? ` (${reasons.join('; ')})` : ` on ${process.platform}`}`,
    {
      hint: [
        ...(fixes.length > 0 ? fixes : process.platform === 'linux' ? ['apt-get install bubblewrap'] : []),
        'or use --profile none to run without isolation',
      ].join('; '),
    },
  );
}

/** Build the offline runtime image of the container backends (`mcp-warden image build`). */
export async function buildSandboxImage(
  options: BuildImageOptions,
): Promise<{ tag: string; built: boolean }> {
  return (await import('./docker/image/build-image-command.ts')).buildSandboxImage(options);
}

/** SIGKILL every running sandbox synchronously, best effort: for process 'exit' and second-Ctrl-C handlers. */
export { killAllNow };
