// The isolate host: a child process of the warden that runs one JavaScript MCP server in a V8 isolate
// (isolated-vm). A V8 fatal error or heap exhaustion therefore kills only this process, never the warden.
// stdin/stdout of this process are the server's JSON-RPC channel; stderr is its log.
import type { Isolate, Reference } from 'isolated-vm';
import { WardenError, errorMessage } from '../../errors.ts';
import { loadBundle } from './bundle.ts';
import { CodeCache } from './code-cache.ts';
import { BOOTSTRAP_SOURCE } from './guest-bootstrap.ts';
import { createHostCall } from './host-call.ts';
import { HOST_CONFIG_ENV, parseHostConfig } from './host-config.ts';
import { PathGuard } from './host-fs.ts';
import { createFsOps } from './host-fs-ops.ts';
import { createNetOps, readExtraCa } from './host-net-ops.ts';
import { HostLifecycle } from './host-lifecycle.ts';
import { createPureOps } from './host-ops.ts';
import { createProcessOps } from './host-process-ops.ts';
import { START_FAILED_STATUS } from './isolate-exit.ts';
import { formatStartStatus } from './start-status.ts';
import { CpuBudget, WATCHDOG_TICK_MS } from './watchdog.ts';

// The configuration (the guest's environment, --env values included) comes in this process's environment,
// readable only by its own user, never in argv, which every local user can read in /proc/PID/cmdline.
const config = parseHostConfig(process.env[HOST_CONFIG_ENV]);
delete process.env[HOST_CONFIG_ENV];
process.chdir(config.cwd);
const lifecycle = new HostLifecycle();
const [{ default: ivm }, bundle] = await Promise.all([
  import('isolated-vm'),
  loadBundle(config.entry, config.cacheDir, config.readOnlyPaths).catch(startFailed),
]);
// Reported before any server code runs: the backend's launch() waits for this line.
process.stderr.write(formatStartStatus({ ok: true }));

/** The server cannot be bundled (or an import was refused): report it to launch() and end. */
function startFailed(error: unknown): Promise<never> {
  const status =
    error instanceof WardenError
      ? { ok: false as const, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }
      : { ok: false as const, message: `the isolate host could not start: ${errorMessage(error)}` };
  process.stderr.write(formatStartStatus(status), () => process.exit(START_FAILED_STATUS));
  // Never settles: nothing else may run meanwhile, the write's callback ends the process.
  return new Promise<never>(() => undefined);
}

/** A failure coming out of the isolate: the heap limit, else an uncaught error in the server. */
function guestFailed(error: unknown): void {
  if (lifecycle.ending) return; // the isolate was disposed on purpose
  const message = error instanceof Error ? error.message : String(error);
  if (isolate?.isDisposed || /memory limit/i.test(message)) {
    lifecycle.limit('memory', `the server exceeded its ${config.memoryMb} MB heap`);
    return;
  }
  process.stderr.write(`${error instanceof Error && error.stack ? error.stack : message}\n`);
  lifecycle.exit(1);
}

const isolate: Isolate = new ivm.Isolate({
  memoryLimit: config.memoryMb,
  onCatastrophicError: (message) => {
    process.stderr.write(`V8 fatal error in the isolate: ${message}\n`);
    process.kill(process.pid, 'SIGKILL');
  },
});
lifecycle.attach(isolate);
const context = await isolate.createContext();

// Host → guest events go through the bootstrap's dispatcher; the guest never holds a host Reference.
const dispatcher = (await context.eval(BOOTSTRAP_SOURCE, { reference: true })) as Reference<
  (kind: string, payload: unknown) => void
>;
/** Deliver an event; the promise settles once the guest's handler has run (or failed). */
function toGuest(kind: string, payload?: unknown): Promise<void> {
  if (lifecycle.ending) return Promise.resolve();
  return lifecycle
    .track(dispatcher.apply(undefined, [kind, payload], { arguments: { copy: true } }))
    .then(() => undefined, guestFailed);
}

const guard = new PathGuard({
  roots: config.roots,
  readOnlyPaths: config.readOnlyPaths,
  cwd: config.cwd,
  maxReadBytes: config.memoryMb * 1024 * 1024,
});
const ops = {
  ...createPureOps(),
  ...createFsOps(guard),
  ...createProcessOps({ config, isolate: () => isolate, lifecycle, toGuest }),
  ...createNetOps({
    socketPath: config.egressSocket,
    toGuest,
    extraCa: () => readExtraCa(config.env.NODE_EXTRA_CA_CERTS),
    maxBodyBytes: config.memoryMb * 1024 * 1024,
  }),
};
await context.global.set('__wardenHost', new ivm.Callback(createHostCall(ops)));

process.stdin.pause();
process.stdin.on('data', (chunk: Buffer) => toGuest('stdin', new Uint8Array(chunk)));
process.stdin.on('end', () => toGuest('stdin-end'));
process.stdout.on('drain', () => toGuest('drain', 1));
process.stderr.on('drain', () => toGuest('drain', 2));

// The CPU watchdog: a busy loop, a promise chain or a setTimeout(0) loop all keep the isolate hot.
const budget = new CpuBudget(config.cpuMs);
setInterval(() => {
  if (!isolate || lifecycle.ending) return;
  // Only the heap limit disposes the isolate behind our back, and the running call may take seconds
  // more to reject (V8 finishes a big JSON.parse first), so the watchdog notices it here.
  if (isolate.isDisposed) lifecycle.limit('memory', `the server exceeded its ${config.memoryMb} MB heap`);
  else if (budget.sample(isolate.cpuTime, process.hrtime.bigint())) {
    lifecycle.limit('cpu', `the server used more than ${config.cpuMs} ms of CPU without going idle`);
  }
}, WATCHDOG_TICK_MS).unref();

const codeCache = new CodeCache(bundle.codeCacheFile);
try {
  const module = await lifecycle.track(
    isolate.compileModule(bundle.code, { filename: `file://${config.entry}`, ...codeCache.options(ivm) }),
  );
  codeCache.store(module);
  await module.instantiate(context, () => {
    throw new Error('the bundled server imports nothing at run time');
  });
  await lifecycle.track(module.evaluate({ promise: true } as never));
} catch (error) {
  guestFailed(error);
}
// Nothing left to do (no stdin, no timers): end as Node would, but through the safe exit path. Armed
// only now, so a quiet moment while the isolate compiles cannot end the host before the server runs.
process.once('beforeExit', (code) => lifecycle.exit(code));
