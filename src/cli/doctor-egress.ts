import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WardenError, errorMessage } from '../errors.ts';
import { RELAY_ENTRY, withEgressRelay } from '../network/egress-launch.ts';
import { compileEgressPolicy } from '../network/egress-policy.ts';
import { EgressProxy } from '../network/egress-proxy.ts';
import { NETWORK_DEFAULTS, proxySocketPath } from '../network/egress-settings.ts';
import { runtimeLibraries } from '../sandboxes/launch-spec/runtime-libraries.ts';
import type { Backend, BackendName, LaunchSpec, ProbeCheck, Sandbox } from '../sandboxes/types.ts';
import type { BackendReport } from './doctor-table.ts';

/** The backends whose egress relay `doctor` tries for real (isolating backends with the relay). */
export const EGRESS_CHECKED: readonly BackendName[] = ['bwrap', 'docker', 'gvisor'];
/** The backends whose egress shims (fetch/http/https sent host-side to the proxy) `doctor` tries. */
export const SHIMS_CHECKED: readonly BackendName[] = ['isolate'];

const CHECK_NAME = 'egress relay';
const SHIMS_CHECK_NAME = 'egress shims';
const CHECK_TIMEOUT_MS = 20_000;
/** Not on the (empty) allowlist: the proxy refuses it before resolving or dialling anything. */
const PROBE_HOST = 'relay-check.mcp-warden.invalid';

// Runs inside the sandbox behind the relay: one plain HTTP request to the proxy through the relay's
// port, then the proxy's status line (or the error) as JSON on stdout, which the check reads back.
const CLIENT_SCRIPT = `
const net = require('node:net');
const done = (result) => { process.stdout.write(JSON.stringify(result)); process.exit(0); }; // stdout-ok: read by doctor
const port = Number(new URL(process.env.HTTP_PROXY ?? 'http://127.0.0.1:0').port);
const socket = net.connect({ host: '127.0.0.1', port }, () =>
  socket.write('GET http://${PROBE_HOST}/ HTTP/1.1\\r\\nHost: ${PROBE_HOST}\\r\\nConnection: close\\r\\n\\r\\n'));
let text = '';
socket.setEncoding('utf8');
socket.on('data', (chunk) => { text += chunk; });
socket.on('close', () => done({ status: text.split('\\r\\n')[0] ?? '' }));
socket.on('error', (error) => done({ error: error.code ?? error.message }));
`;

// Runs in the isolate: one fetch() through the shims (the host sends it to the proxy's socket), then the
// status, or the error, as JSON on stdout.
const SHIM_CLIENT_SCRIPT = `
const done = (result) => { process.stdout.write(JSON.stringify(result)); process.exit(0); }; // stdout-ok: read by doctor
fetch('http://${PROBE_HOST}/').then(
  (response) => done({ status: 'HTTP/1.1 ' + response.status }),
  (error) => done({ error: String(error && (error.cause?.message ?? error.message) || error) }),
);
`;

/**
 * For `doctor`: add an "egress relay" check to each available backend of EGRESS_CHECKED, all at once.
 * A failed check with a known fix also fills the report's `fix` (the table shows it).
 */
export async function addEgressChecks(
  reports: BackendReport[],
  backendOf: (name: BackendName) => Backend,
): Promise<void> {
  await Promise.all(
    reports.map(async (report) => {
      const name = report.backend as BackendName;
      if (!report.available) return;
      if (SHIMS_CHECKED.includes(name)) {
        report.checks = [...(report.checks ?? []), (await egressShimsCheck(backendOf(name))).check];
        return;
      }
      if (!EGRESS_CHECKED.includes(name)) return;
      const imageCheck = report.checks?.find((check) => check.name === 'image');
      const { check, fix } =
        imageCheck?.ok === false
          ? {
              check: {
                name: CHECK_NAME,
                ok: false,
                detail: 'not checked: it runs a container from the image, which is not built yet',
              },
              fix: 'mcp-warden image build',
            }
          : await egressRelayCheck(backendOf(name));
      report.checks = [...(report.checks ?? []), check];
      if (!check.ok && fix !== undefined) report.fix ??= fix;
    }),
  );
}

/**
 * A real round trip on `backend`: a sandbox planned and launched the way a session's is, with the relay
 * in front of a tiny client, asks the warden's proxy (a real EgressProxy on its unix socket, with an
 * empty allowlist) for a host it refuses; the check passes when the proxy's 403 comes back through
 * the relay. Nothing is resolved or dialled. Costs one sandbox start (a container under docker/gvisor).
 */
export async function egressRelayCheck(backend: Backend): Promise<{ check: ProbeCheck; fix?: string }> {
  return await roundTrip(backend, {
    name: CHECK_NAME,
    passed: "a relay in the sandbox reached the warden's proxy socket; the proxy's answer (403) came back",
    failed: 'the relay did not reach the proxy',
    spec: async (socketPath) => {
      const nodeFiles = await runtimeLibraries(process.execPath);
      const spec: LaunchSpec = {
        executable: process.execPath,
        args: ['-e', CLIENT_SCRIPT],
        env: {},
        roots: [],
        readOnlyPaths: [...nodeFiles],
        runtimePaths: [...nodeFiles],
        cwd: '/tmp',
        limits: {},
        network: false,
      };
      return withEgressRelay(spec, {
        socketPath,
        node: process.execPath,
        nodeFiles,
        relayEntry: RELAY_ENTRY,
      });
    },
  });
}

/**
 * The same round trip on a backend whose sandbox reaches the proxy through shims (isolate): a script in
 * the sandbox calls fetch(), whose host side sends the request to the proxy's socket; the check passes
 * when the proxy's 403 comes back as the response's status.
 */
export async function egressShimsCheck(backend: Backend): Promise<{ check: ProbeCheck; fix?: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-warden-shims-check-'));
  try {
    const entry = path.join(dir, 'check.cjs');
    await writeFile(entry, SHIM_CLIENT_SCRIPT);
    return await roundTrip(backend, {
      name: SHIMS_CHECK_NAME,
      passed:
        "fetch() in the sandbox reached the warden's proxy socket through the host; the proxy's answer (403) came back",
      failed: 'the shims did not reach the proxy',
      spec: (socketPath) =>
        Promise.resolve({
          executable: process.execPath,
          args: [entry],
          env: {},
          roots: [],
          readOnlyPaths: [dir],
          runtimePaths: [],
          cwd: dir,
          limits: {},
          network: false,
          egress: { socketDir: path.dirname(socketPath), socketPath },
        }),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface RoundTrip {
  name: string;
  passed: string;
  failed: string;
  /** The launch spec of the sandbox that asks the proxy at `socketPath`. */
  spec: (socketPath: string) => Promise<LaunchSpec>;
}

/**
 * A real round trip on `backend`: a sandbox planned and launched the way a session's is asks the
 * warden's proxy (a real EgressProxy on its unix socket, with an empty allowlist) for a host it refuses;
 * the check passes when the proxy's 403 comes back. Nothing is resolved or dialled.
 */
async function roundTrip(backend: Backend, trip: RoundTrip): Promise<{ check: ProbeCheck; fix?: string }> {
  const started = performance.now();
  const compiled = compileEgressPolicy(NETWORK_DEFAULTS);
  if (!compiled.ok) throw new WardenError('internal', 'the default network settings do not compile');
  const proxy = new EgressProxy({ policy: compiled.policy, onEvent: () => undefined });
  const socketPath = proxySocketPath();
  let sandbox: Sandbox | undefined;
  try {
    await backend.load?.();
    const plan = backend.plan(await trip.spec(socketPath));
    await proxy.listen(socketPath, plan.runAs);
    sandbox = await backend.launch(plan);
    const output = await collect(sandbox);
    const ms = Math.round(performance.now() - started);
    const result = parseResult(output.stdout);
    if (result?.status !== undefined && /^HTTP\/1\.[01] 403\b/.test(result.status)) {
      return { check: { name: trip.name, ok: true, detail: `${trip.passed} (real round trip, ${ms} ms)` } };
    }
    const what = result?.error ?? result?.status ?? (output.stdout.trim() || 'no answer');
    const log = output.stderr.trim().split('\n').slice(-3).join(' | ');
    return {
      check: {
        name: trip.name,
        ok: false,
        detail: `${trip.failed}: ${what}${log ? ` (sandbox stderr: ${log})` : ''}`,
      },
    };
  } catch (error) {
    const hint = error instanceof WardenError ? error.hint : undefined;
    return {
      check: { name: trip.name, ok: false, detail: `could not run the check: ${errorMessage(error)}` },
      ...(hint === undefined ? {} : { fix: hint }),
    };
  } finally {
    await sandbox?.stop({ graceful: false });
    await proxy.close();
  }
}

/** The sandbox's stdout and stderr until it exits, or until the timeout (then it is killed). */
async function collect(sandbox: Sandbox): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  sandbox.stdout.setEncoding('utf8');
  sandbox.stderr.setEncoding('utf8');
  sandbox.stdout.on('data', (chunk: string) => void (stdout = (stdout + chunk).slice(-4096)));
  sandbox.stderr.on('data', (chunk: string) => void (stderr = (stderr + chunk).slice(-4096)));
  sandbox.stdin.end();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      stderr += `\nno answer within ${CHECK_TIMEOUT_MS} ms`;
      resolve();
    }, CHECK_TIMEOUT_MS);
  });
  // Its exit, and the end of its stdout (a container's output arrives over the attach stream).
  const ended = new Promise((resolve) => sandbox.stdout.once('end', resolve).once('close', resolve));
  await Promise.race([Promise.all([sandbox.exited, ended]), timeout]);
  clearTimeout(timer);
  return { stdout, stderr };
}

function parseResult(text: string): { status?: string; error?: string } | undefined {
  try {
    return JSON.parse(text) as { status?: string; error?: string };
  } catch {
    return undefined;
  }
}
