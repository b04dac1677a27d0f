import { realpathSync } from 'node:fs';
import type Docker from 'dockerode';
import { WardenError, errorMessage } from '../../errors.ts';
import { cacheDir } from '../../util/cache-dir.ts';
import type {
  Availability,
  Backend,
  LaunchOptions,
  LaunchSpec,
  ProbeOptions,
  Sandbox,
  SandboxPlan,
} from '../types.ts';
import { launchContainer } from './container-sandbox.ts';
import {
  type ContainerBackendName,
  type ContainerCreateBody,
  type ImageRef,
  containerUser,
  NOBODY,
  planContainer,
} from './container-plan.ts';
import { dockerConnection } from './docker-connection.ts';
import { probeContainerBackend } from './docker-probe.ts';
import { ensureNodeImage, hasImage, nodeImageRef } from './image/node-image.ts';
import { thermalThrottlePaths } from './masked-paths.ts';
import { currentOwner, formatOwner, OWNER_LABEL } from './owner.ts';
import { reapOrphans } from './reap.ts';
import { rootAccessWarnings, rwRootOwners } from './root-access.ts';
import { requireRunscHostUds } from './runsc-host-uds.ts';
import { holdLifeline } from './watchdog.ts';

/**
 * A container backend on the Docker engine through dockerode: `docker` (runc, the host kernel) or
 * `gvisor` (runsc, a user-space kernel). One container per session, labelled with its warden. A
 * watchdog process removes them if the warden dies (watchdog.ts); the containers of wardens that died
 * with their watchdog are reaped when the next one launches.
 */
function containerBackend(name: ContainerBackendName): Backend {
  const probes = new Map<string, Promise<Availability>>();
  return {
    name,
    probe(options: ProbeOptions = {}) {
      const key = options.cacheDir ?? '';
      let probe = probes.get(key);
      if (probe === undefined) {
        probe = probeContainerBackend(name, options.cacheDir);
        probes.set(key, probe);
      }
      return probe;
    },
    plan(spec: LaunchSpec): SandboxPlan {
      const image = nodeImageRef(cacheDir());
      const warden = { uid: process.getuid?.() ?? NOBODY.uid, gid: process.getgid?.() ?? NOBODY.gid };
      const user = containerUser(warden, rwRootOwners(spec.roots));
      const program =
        spec.egress?.relay === undefined ? undefined : spec.args[spec.egress.relay.programIndex];
      const plan = planContainer(spec, {
        backend: name,
        image,
        executableRealPath: realpathSync(spec.executable),
        ...(program === undefined ? {} : { programRealPath: realpathSync(program) }),
        user,
        owner: formatOwner(currentOwner()),
        hostMaskedPaths: thermalThrottlePaths(),
      });
      const warnings = rootAccessWarnings(spec.roots, user);
      return warnings.length > 0 ? { ...plan, warnings } : plan;
    },
    async launch(plan, options = {}) {
      const body = plan.details?.container as ContainerCreateBody | undefined;
      if (body === undefined)
        throw new WardenError('internal', `the ${name} backend was given a plan without a container`);
      const offline = plan.details?.offlineImage as ImageRef | undefined;
      const egress = plan.details?.egressSocket !== undefined;
      const onDemand = (): Promise<Sandbox> => launchOnDemand(name, body, offline, egress, options);
      if (!options.warm) return onDemand();
      // The egress proxy's socket is the session's own: such a plan is never kept ready.
      if (egress) {
        const warm = {
          hit: false,
          detail: 'not pooled: the session has a network allowlist (its own proxy)',
        };
        return Object.assign(await onDemand(), { warm });
      }
      const { launchWarm } = await import('./warm/warm-launch.ts');
      return launchWarm(body, onDemand);
    },
  };
}

/** The launch of every container session without --warm, and of --warm ones the pool cannot serve. */
async function launchOnDemand(
  name: ContainerBackendName,
  body: ContainerCreateBody,
  offline: ImageRef | undefined,
  egress: boolean,
  options: LaunchOptions,
): Promise<Sandbox> {
  const prepared = dockerConnection().then(async (docker) => {
    await Promise.all([
      offline ? ensureNodeImage(docker, offline, options.onProgress) : requireImage(docker, body.Image),
      reapOrphans(docker),
      // The relay reaches the proxy through a host unix socket: asked of the engine at each such
      // launch (alongside the image check), so a daemon.json change takes effect at once.
      name === 'gvisor' && egress ? requireRunscHostUds(docker) : undefined,
    ]);
    return docker;
  });
  // Spawned while the engine works (the spawn itself blocks this thread a few ms); held until the
  // container is removed, so no container exists without a watchdog.
  const lifeline = holdLifeline(body.Labels[OWNER_LABEL] ?? formatOwner(currentOwner()));
  try {
    return await launchContainer(await prepared, body, lifeline);
  } catch (error) {
    lifeline.release();
    throw engineUnreachable(error) ? unavailable(name, error) : error;
  }
}

/**
 * Did `error` (or its cause) fail to reach the engine at all: the socket refused, missing or not ours
 * (connect EACCES)? Then the backend is unavailable, not the server broken, and `auto` may fall back.
 */
export function engineUnreachable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const { code, syscall } = current as NodeJS.ErrnoException;
    if (syscall === 'connect' && ['EACCES', 'EPERM', 'ECONNREFUSED', 'ENOENT'].includes(code ?? ''))
      return true;
    if (/connect (EACCES|EPERM|ECONNREFUSED|ENOENT) /.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

function unavailable(name: ContainerBackendName, error: unknown): WardenError {
  return new WardenError(
    'backend-unavailable',
    `the ${name} backend cannot reach the docker engine: ${errorMessage(error)}`,
    {
      hint: /EACCES|EPERM/.test(errorMessage(error))
        ? 'add your user to the docker group (usermod -aG docker $USER, then log in again), or use another profile (see mcp-warden doctor)'
        : 'start the docker engine, or use another profile (see mcp-warden doctor)',
      cause: error,
    },
  );
}

/** A profile's own image must already be in the engine: the warden never pulls. */
async function requireImage(docker: Docker, tag: string): Promise<void> {
  if (await hasImage(docker, tag)) return;
  throw new WardenError(
    'launch-failed',
    `the profile's image ${tag} is not in the docker engine (the warden never pulls)`,
    {
      hint: `build it, e.g. docker build -t ${tag} -f images/Dockerfile.python images/ (see images/README.md)`,
    },
  );
}

export const dockerBackend = containerBackend('docker');
export const gvisorBackend = containerBackend('gvisor');
