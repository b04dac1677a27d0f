// A container the warden starts never changes a host file's owner or mode: not the host's device nodes,
// not a file it mounts. runsc chowns its stdio to its sandbox user (65534) before the sandbox boots; a
// container started without an open stdin gets the host's /dev/null from containerd as stdin, which
// then became nobody's (and any uid 65534 process on the host could then chmod it). The probe's trial
// container runs at every `doctor` and every 10 minutes of sessions, so it is checked on its own.
// Compared: owner, group, mode and ctime (a chown or chmod to the same values still moves ctime).
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RELAY_ENTRY, withEgressRelay } from '../../../src/network/egress-launch.ts';
import { compileEgressPolicy } from '../../../src/network/egress-policy.ts';
import { EgressProxy } from '../../../src/network/egress-proxy.ts';
import { NETWORK_DEFAULTS, proxySocketPath } from '../../../src/network/egress-settings.ts';
import type { ContainerCreateBody } from '../../../src/sandboxes/docker/container-plan.ts';
import { dockerConnection } from '../../../src/sandboxes/docker/docker-connection.ts';
import { probeContainerBackend } from '../../../src/sandboxes/docker/docker-probe.ts';
import { buildLaunchSpec } from '../../../src/sandboxes/launch-spec/build-launch-spec.ts';
import { runtimeLibraries } from '../../../src/sandboxes/launch-spec/runtime-libraries.ts';
import { getBackend } from '../../../src/sandboxes/registry.ts';
import type { Sandbox } from '../../../src/sandboxes/types.ts';
import {
  CONTAINER_PROFILES,
  GVISOR_PROFILE,
  ourContainers,
  shareWithSandbox,
} from '../../helpers/containers.ts';
import { tmpRoot } from '../../helpers/tmp-root.ts';

/** The host's device nodes a container runtime could be handed or asked to create. */
const DEVICES = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty'].filter(
  (file) => existsSync(file),
);

/** Owner, group, mode and ctime of each file, one readable line each (a diff names the file). */
function snapshot(files: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    files.map((file) => {
      const stat = statSync(file, { bigint: true });
      return [file, `${stat.uid}:${stat.gid} mode ${stat.mode.toString(8)} ctime ${stat.ctimeNs}`];
    }),
  );
}

// A hostile server's attempts at its stdin and at a read-only file, then the egress relay's round trip
// (the relay's port is in HTTP_PROXY); the outcome as JSON on stdout. (Not its stdout: under gVisor a
// server that chmods its own stdout loses its output, which says nothing about the host's files.)
const SERVER = `
const fs = require('node:fs');
const net = require('node:net');
const file = process.argv[1];
const tried = {};
try { fs.fchmodSync(0, 0o600); tried.fchmodStdin = 'allowed'; } catch (error) { tried.fchmodStdin = error.code; }
try { fs.chmodSync(file, 0o600); tried.chmodRo = 'allowed'; } catch (error) { tried.chmodRo = error.code; }
tried.read = fs.readFileSync(file, 'utf8');
const port = Number(new URL(process.env.HTTP_PROXY ?? 'http://127.0.0.1:0').port);
const socket = net.connect({ host: '127.0.0.1', port }, () =>
  socket.write('GET http://refused.invalid/ HTTP/1.1\\r\\nHost: refused.invalid\\r\\nConnection: close\\r\\n\\r\\n'));
let text = '';
socket.setEncoding('utf8');
socket.on('data', (chunk) => { text += chunk; });
const done = (status) => { process.stdout.write(JSON.stringify({ ...tried, status })); process.exit(0); };
socket.on('close', () => done(text.split('\\r\\n')[0]));
socket.on('error', (error) => done(error.code));
`;

/** The server's JSON answer on stdout once it has exited (its stderr in the error when there is none). */
async function runToEnd(sandbox: Sandbox): Promise<Record<string, string>> {
  let stdout = '';
  let stderr = '';
  sandbox.stdout.setEncoding('utf8');
  sandbox.stderr.setEncoding('utf8');
  sandbox.stdout.on('data', (chunk: string) => (stdout += chunk));
  sandbox.stderr.on('data', (chunk: string) => (stderr += chunk));
  sandbox.stdin.end();
  const ended = new Promise((resolve) => sandbox.stdout.once('close', resolve));
  const [exit] = await Promise.all([sandbox.exited, ended]);
  try {
    return JSON.parse(stdout) as Record<string, string>;
  } catch {
    throw new Error(`no answer from the server (exit ${JSON.stringify(exit)}): ${stdout}${stderr}`);
  }
}

describe.runIf(GVISOR_PROFILE.enabled)(`the runsc trial container (${GVISOR_PROFILE.status})`, () => {
  it("leaves the host's device nodes as they were (owner, mode, ctime)", async () => {
    const before = snapshot(DEVICES);
    // No cache directory: the trial container always runs.
    const result = await probeContainerBackend('gvisor', undefined);
    expect(result.available, JSON.stringify(result)).toBe(true);
    expect(snapshot(DEVICES)).toEqual(before);
    const engine = await dockerConnection();
    const left = await engine.listContainers({ all: true, filters: { label: ['dev.mcp-warden.probe'] } });
    expect(left).toEqual([]);
  });
});

describe.each(CONTAINER_PROFILES)('a session container, $profile', ({ profile, enabled, status }) => {
  describe.runIf(enabled)(`(${status})`, () => {
    afterAll(async () => {
      expect(await ourContainers()).toEqual([]);
    });

    it("with roots and the egress relay: the host's device nodes and every mounted host file keep owner, mode and ctime", async () => {
      const backend = getBackend(profile);
      const readOnlyRoot = tmpRoot(`host-files-ro-${profile}`);
      const file = path.join(readOnlyRoot, 'notes.txt');
      writeFileSync(file, 'read me');
      shareWithSandbox(readOnlyRoot, profile);
      const writableRoot = shareWithSandbox(tmpRoot(`host-files-rw-${profile}`), profile);
      const nodeFiles = await runtimeLibraries(process.execPath);
      const socketPath = proxySocketPath();
      const spec = withEgressRelay(
        await buildLaunchSpec({
          command: [process.execPath, '-e', SERVER, file],
          roots: [
            { path: readOnlyRoot, realPath: readOnlyRoot, readOnly: true },
            { path: writableRoot, realPath: writableRoot, readOnly: false },
          ],
          env: {},
          limits: {},
          network: false,
          cacheDir: tmpRoot(`host-files-cache-${profile}`),
          hostPath: process.env.PATH ?? '',
        }),
        { socketPath, node: process.execPath, nodeFiles, relayEntry: RELAY_ENTRY },
      );
      const plan = backend.plan(spec);
      const body = plan.details?.container as ContainerCreateBody;
      const compiled = compileEgressPolicy(NETWORK_DEFAULTS);
      if (!compiled.ok) throw new Error('the default network settings do not compile');
      const proxy = new EgressProxy({ policy: compiled.policy, onEvent: () => undefined });
      try {
        // The proxy gives its socket directory to the container's user: the snapshot is taken after.
        await proxy.listen(socketPath, plan.runAs);
        const files = [...DEVICES, ...new Set(body.HostConfig.Mounts.map((mount) => mount.Source))];
        expect(files).toContain(readOnlyRoot);
        expect(files).toContain(path.dirname(socketPath));
        const before = snapshot(files);
        const output = await runToEnd(await backend.launch(plan));
        // The server really ran behind the relay, and its chmod of a read-only file was refused.
        expect(output.read).toBe('read me');
        expect(output.chmodRo).toMatch(/^(EROFS|EPERM)$/);
        expect(output.status).toMatch(/^HTTP\/1\.[01] 403\b/);
        expect(snapshot(files)).toEqual(before);
      } finally {
        await proxy.close();
      }
    });
  });
});
