import { existsSync } from 'node:fs';
import type Docker from 'dockerode';
import { errorMessage } from '../../errors.ts';
import { readCached, writeCached } from '../../util/disk-cache.ts';
import { fastHashHex } from '../../util/fast-hash.ts';
import { dockerSeccompOption } from '../seccomp/docker-profile.ts';
import type { Availability, ProbeCheck } from '../types.ts';
import { type ContainerBackendName, IMAGE_NODE } from './container-plan.ts';
import { dockerConnection, withTimeout } from './docker-connection.ts';
import { ensureNodeImage, hasImage, nodeImageRef } from './image/node-image.ts';
import { DEFAULT_SOCKET, probeCacheKey, probeIdentity } from './probe-cache-key.ts';
import { RUNSC_DAEMON_JSON } from './runsc-host-uds.ts';

const ENGINE_TIMEOUT_MS = 3000;
const TRIAL_TIMEOUT_MS = 30_000;
/** How long a successful runsc trial container is trusted on disk (the engine's id and version are part of the key). */
const TRIAL_CACHE_MS = 10 * 60 * 1000;
/** How long a whole successful probe (engine reachable, runtime registered) is trusted on disk. */
const PROBE_CACHE_MS = 60 * 1000;
/** Where a local engine keeps its runtimes; a change to it (e.g. runsc's arguments) is a new cache key. */
const DAEMON_CONFIG = '/etc/docker/daemon.json';

const ENGINE_FIX =
  'install Docker (apt-get install -y docker.io) and start the engine (systemctl start docker, or dockerd &); ' +
  'the warden talks to DOCKER_HOST or /var/run/docker.sock';
const RUNSC_FIX = `install gVisor (apt-get install -y runsc), register it in /etc/docker/daemon.json as ${RUNSC_DAEMON_JSON} and restart dockerd`;
/** Without --oci-seccomp runsc ignores a container's seccomp profile: setuid files, keyrings... */
const OCI_SECCOMP_FIX =
  `add "--oci-seccomp" to the runtimeArgs of runsc in /etc/docker/daemon.json (${RUNSC_DAEMON_JSON}), ` +
  'then reload the engine (kill -HUP $(pidof dockerd)); until then use --profile docker';
const SECCOMP_FIX =
  'run a docker engine built with seccomp support on a kernel with CONFIG_SECCOMP_FILTER (docker info lists name=seccomp under Security Options)';

/**
 * Can the `backend` container backend run here? docker: the engine answers. gvisor: also the runtime
 * `runsc` is registered and a trial container actually starts under it (cached on disk when `cacheDir`
 * is given). `checks` lists each fact for `doctor`, including whether the runtime image is present.
 */
export async function probeContainerBackend(
  backend: ContainerBackendName,
  cacheDir: string | undefined,
): Promise<Availability> {
  // A recent success is trusted (a session start then makes no engine round trip before its launch;
  // an engine that went away since fails the launch itself, with the same fix). Failures are never
  // cached, so a fix takes effect at once; doctor (no cacheDir) always asks the engine.
  // Keyed by who asks (uid, groups) and the socket as this process sees it: a success cached by a
  // session with Docker access must not be trusted by one without it (same user, other groups).
  const key = probeCacheKey(backend, probeIdentity(process.env, DAEMON_CONFIG));
  const cached = cacheDir === undefined ? undefined : readCached<Availability>(cacheDir, key, PROBE_CACHE_MS);
  if (cached?.available === true) return cached;
  const result = await probeLive(backend, cacheDir);
  if (result.available && cacheDir !== undefined) writeCached(cacheDir, key, result);
  return result;
}

async function probeLive(backend: ContainerBackendName, cacheDir: string | undefined): Promise<Availability> {
  const checks: ProbeCheck[] = [];
  if (process.platform !== 'linux') {
    return {
      available: false,
      reason: `the offline image is built from the host's node binary, which needs a Linux host (this is ${process.platform})`,
      fix: process.platform === 'darwin' ? 'use --profile seatbelt on macOS' : 'use a Linux host',
    };
  }
  // No engine configured at all: answer without loading dockerode (auto probes this on every start).
  if (process.env.DOCKER_HOST === undefined && !existsSync(DEFAULT_SOCKET)) {
    return {
      available: false,
      reason: `no docker engine (${DEFAULT_SOCKET} does not exist)`,
      fix: ENGINE_FIX,
      checks,
    };
  }
  // The socket is there but not ours to use (a login without the docker group): no round trip needed.
  if (process.env.DOCKER_HOST === undefined && !probeIdentity(process.env, DAEMON_CONFIG).socketAccess) {
    const detail = `${DEFAULT_SOCKET}: permission denied (uid ${process.getuid?.() ?? '?'}, groups ${(process.getgroups?.() ?? []).join(',') || 'none'})`;
    checks.push({ name: 'engine', ok: false, detail });
    return {
      available: false,
      reason: `the docker engine is not reachable: ${detail}`,
      fix: 'add your user to the docker group (usermod -aG docker $USER, then log in again) or run as root',
      checks,
    };
  }
  const docker = await dockerConnection();
  let info: {
    ID?: string;
    ServerVersion?: string;
    SecurityOptions?: string[];
    Runtimes?: Record<string, { path?: string; runtimeArgs?: string[] }>;
  };
  try {
    await withTimeout(docker.ping(), ENGINE_TIMEOUT_MS, 'the docker engine');
    info = (await withTimeout(docker.info(), ENGINE_TIMEOUT_MS, 'the docker engine')) as typeof info;
  } catch (error) {
    const message = errorMessage(error);
    checks.push({ name: 'engine', ok: false, detail: message });
    return {
      available: false,
      reason: `the docker engine is not reachable: ${message}`,
      fix: /EACCES|permission denied/i.test(message)
        ? 'add your user to the docker group (usermod -aG docker $USER, then log in again) or run as root'
        : ENGINE_FIX,
      checks,
    };
  }
  const version = info.ServerVersion ?? 'unknown';
  checks.push({ name: 'engine', ok: true, detail: `docker ${version} reachable` });
  // Every container gets the warden's seccomp profile; an engine without seccomp would refuse it.
  if (!(info.SecurityOptions ?? []).some((option) => option.startsWith('name=seccomp'))) {
    checks.push({ name: 'seccomp', ok: false, detail: 'the engine has no seccomp support' });
    return {
      available: false,
      reason: `docker ${version} has no seccomp support: the containers' seccomp profile cannot be applied`,
      fix: SECCOMP_FIX,
      checks,
    };
  }
  checks.push({ name: 'seccomp', ok: true, detail: 'the engine applies seccomp profiles' });
  const image = nodeImageRef(cacheDir);
  const imagePresent = await hasImage(docker, image.tag).catch(() => false);
  checks.push({
    name: 'image',
    ok: imagePresent,
    detail: imagePresent
      ? `${image.tag} present`
      : `${image.tag} not built yet: it is built on first use, or now with mcp-warden image build`,
  });
  if (backend === 'docker') return { available: true, version, checks };

  const runsc = info.Runtimes?.runsc;
  if (runsc === undefined) {
    checks.push({ name: 'runsc', ok: false, detail: 'not registered with the engine' });
    return {
      available: false,
      reason: 'the gVisor runtime runsc is not registered with the docker engine',
      fix: RUNSC_FIX,
      checks,
    };
  }
  const profile = dockerSeccompOption('runsc');
  // Whatever changes the trial's answer: the engine, runsc and its arguments, the image, the profile.
  const key = `gvisor-trial\0${info.ID ?? ''}\0${version}\0${runsc.path ?? ''}\0${JSON.stringify(runsc.runtimeArgs ?? [])}\0${image.tag}\0${fastHashHex(profile)}`;
  const cached = cacheDir === undefined ? undefined : readCached<string>(cacheDir, key, TRIAL_CACHE_MS);
  if (cached !== undefined) {
    checks.push({
      name: 'runsc',
      ok: true,
      detail: `registered (${runsc.path ?? 'runsc'}); trial container passed recently: ${cached}`,
    });
    return { available: true, version: `runsc, docker ${version}`, checks };
  }
  let trial: TrialResult;
  try {
    trial = await withTimeout(
      trialContainer(docker, image, profile),
      TRIAL_TIMEOUT_MS,
      'the runsc trial container',
    );
  } catch (error) {
    const message = errorMessage(error);
    checks.push({ name: 'runsc', ok: false, detail: `registered, but a trial container failed: ${message}` });
    return {
      available: false,
      reason: `runsc cannot start a container here: ${message}`,
      fix: RUNSC_FIX,
      checks,
    };
  }
  const { release, setuidChmod } = trial;
  if (setuidChmod !== 'EPERM') {
    // A security tool does not offer a sandbox that silently drops part of its confinement: auto then
    // picks docker, and the fix says exactly what to change.
    checks.push({
      name: 'runsc',
      ok: false,
      detail: `registered (${runsc.path ?? 'runsc'}, args ${JSON.stringify(runsc.runtimeArgs ?? [])}), but it ignores the seccomp profile: a setuid chmod in the trial container answered ${setuidChmod}, not EPERM`,
    });
    return {
      available: false,
      reason:
        "runsc does not enforce the containers' seccomp profile (it runs without --oci-seccomp): a server could plant setuid files in its roots",
      fix: OCI_SECCOMP_FIX,
      checks,
    };
  }
  checks.push({
    name: 'runsc',
    ok: true,
    detail: `registered (${runsc.path ?? 'runsc'}); trial container ran, kernel ${release}, seccomp profile enforced`,
  });
  if (cacheDir !== undefined) writeCached(cacheDir, key, `kernel ${release}, seccomp profile enforced`);
  return { available: true, version: `runsc, docker ${version}`, checks };
}

/** What the trial container reports: gVisor's kernel release, and the error code of a setuid chmod. */
interface TrialResult {
  release: string;
  setuidChmod: string;
}

// Runs inside the trial container, whose output the probe reads back; not the warden's stdout.
const TRIAL_SCRIPT = `
const fs = require('node:fs');
let setuidChmod = 'allowed';
try {
  fs.writeFileSync('/tmp/trial', '');
  fs.chmodSync('/tmp/trial', 0o4755);
} catch (error) {
  setuidChmod = error.code ?? String(error);
}
process.stdout.write(JSON.stringify({ release: require('node:os').release(), setuidChmod })); // stdout-ok: inside the trial container
`;

/**
 * Run node under runsc with no network and the sessions' seccomp profile; it reports the kernel release
 * (gVisor's own) and whether a setuid chmod on a tmpfs file was refused, i.e. whether runsc enforces
 * the profile at all.
 */
async function trialContainer(
  docker: Docker,
  image: ReturnType<typeof nodeImageRef>,
  seccomp: string,
): Promise<TrialResult> {
  await ensureNodeImage(docker, image);
  const container = await docker.createContainer({
    Image: image.tag,
    Cmd: [IMAGE_NODE, '-e', TRIAL_SCRIPT],
    User: '65534:65534',
    // stdin a pipe of the engine's own, never the host's /dev/null: runsc chowns its stdio to the
    // sandbox's user (65534), and a container without an open stdin gets /dev/null from containerd, so
    // the host's /dev/null would become nobody's (see tests/integration/sandboxes/host-files.test.ts).
    OpenStdin: true,
    NetworkDisabled: true,
    Labels: { 'dev.mcp-warden.probe': '1' },
    HostConfig: {
      Runtime: 'runsc',
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,noexec,size=1m,mode=1777' },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true', seccomp],
      AutoRemove: false,
    },
  });
  try {
    await container.start();
    const result = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true });
    const text = demuxText(logs);
    if (result.StatusCode !== 0) throw new Error(`exit status ${result.StatusCode}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as TrialResult;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** The payload of a non-TTY log buffer (8-byte frame headers stripped). */
function demuxText(buffer: Buffer): string {
  const parts: Buffer[] = [];
  for (let offset = 0; offset + 8 <= buffer.length;) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
