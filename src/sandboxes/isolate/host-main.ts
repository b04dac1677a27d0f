// The isolate host: a child process of the warden that runs one JavaScript MCP server in a V8 isolate
// (isolated-vm). A V8 fatal error or heap exhaustion therefore kills only this process, never the warden.
// stdin/stdout of this process are the server's JSON-RPC channel; stderr is its log.
import type { Isolate, Reference } from 'isolated-vm';
import { WardenError, errorMessage } from '../../errors.ts';
import { loadBundle } from './bundle.ts';
import { CodeCache } from './code-cache.ts';
import { BOOTSTRAP_SOURCE } from './guest-bootstrap.ts';
import { bundleScript, SCRIPT_LINE_OFFSET } from './guest-script.ts';
import { createHostCall } from './host-call.ts';
import { CONFIG_ON_STDIN, HOST_CONFIG_ENV, parseHostConfig, readFirstLine } from './host-config.ts';
import { PathGuard } from './host-fs.ts';
import { createFsOps } from './host-fs-ops.ts';
import { createNetOps, readExtraCa } from './host-net-ops.ts';
import { HostLifecycle } from './host-lifecycle.ts';
import { createPureOps } from './host-ops.ts';
import { createProcessOps } from './host-process-ops.ts';
import { START_FAILED_STATUS } from './isolate-exit.ts';
import { formatStartStatus } from './start-status.ts';
import { CpuBudget, WATCHDOG_TICK_MS } from './watchdog.ts';
import { isolatedVmVersion } from './isolated-vm-version.ts';

/** When a server has written nothing this long after its compile, its code cache is made anyway. */
const CODE_CACHE_FALLBACK_MS = 2000;

// isolated-vm loads while this host waits for its configuration (a prestarted host: see below).
const loadingIvm = import('isolated-vm');
loadingIvm.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
const ivmVersion = isolatedVmVersion();
// The configuration (the guest's environment, --env values included) comes in this process's environment,
// readable only by its own user, never in argv, which every local user can read in /proc/PID/cmdline; or,
// for a host the backend started before the plan existed (prestart), as the first line on stdin, which
// only the warden holds. No configuration (the warden went away first): nothing to do.
const configText = process.env[HOST_CONFIG_ENV];
delete process.env[HOST_CONFIG_ENV];
const config = parseHostConfig(
  configText === CONFIG_ON_STDIN
    ? await readFirstLine(process.stdin).catch((): never => process.exit(START_FAILED_STATUS))
    : configText,
);
process.chdir(config.cwd);
const lifecycle = new HostLifecycle();
const [{ default: ivm }, bundle] = await Promise.all([
  loadingIvm,
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
// The isolate's own thread makes the context and then compiles the server while this thread reads the
// code cache and builds the host operations (a few ms of each, overlapped).
const creatingContext = isolate.createContext();

// V8's code cache for the server: consumed when valid; else made once the server has answered its first
// message (or a while after it started), so it holds the functions the start-up compiled lazily too.
const source = bundleScript(bundle.code);
const origin = { filename: `file://${config.entry}`, lineOffset: SCRIPT_LINE_OFFSET };
const codeCache = new CodeCache(bundle.codeCacheFile, { bundle: bundle.bytes, isolatedVm: ivmVersion });
const compiling = lifecycle.track(isolate.compileScript(source, { ...origin, ...codeCache.options(ivm) }));
compiling.catch(() => undefined); // awaited below, where a failure is the guest's
const context = await creatingContext;

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
const produceCodeCache = (): void => {
  if (!codeCache.wanted || lifecycle.ending) return;
  void codeCache.produce(() =>
    lifecycle.track(isolate.compileScript(source, { ...origin, produceCachedData: true })),
  );
};
const ops = {
  ...createPureOps(),
  ...createFsOps(guard),
  ...createProcessOps({
    config,
    isolate: () => isolate,
    lifecycle,
    toGuest,
    onFirstStdout: () => setImmediate(produceCodeCache),
  }),
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

try {
  const script = await compiling;
  codeCache.compiled(script);
  // A server that writes nothing for a while still gets its cache (after the first message otherwise).
  if (codeCache.wanted) setTimeout(produceCodeCache, CODE_CACHE_FALLBACK_MS).unref();
  await lifecycle.track(script.run(context, { promise: true }));
} catch (error) {
  guestFailed(error);
}
// Nothing left to do (no stdin, no timers): end as Node would, but through the safe exit path. Armed
// only now, so a quiet moment while the isolate compiles cannot end the host before the server runs.
process.once('beforeExit', (code) => lifecycle.exit(code));
