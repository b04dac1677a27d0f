import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { WardenError, errorMessage } from '../errors.ts';
import { killAllNow } from '../sandboxes/registry.ts';
import { parseRunArgs } from './args.ts';
import { EXIT } from './exit-codes.ts';
import { RUN_HELP } from './help.ts';
import { say, warn } from './output.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { launchFirst } from './launch-first.ts';
import { fastStartEvent, launchOrAdopt } from './fast-start/adopt-launch.ts';
import { earlyLaunchPending } from './fast-start/early-launch.ts';
import { leanWarden } from './lean-warden.ts';
import { type PreparedSession, policyContext, prepareSession } from './prepare-session.ts';

/** `mcp-warden run`: mediate one MCP session over this process's stdio. Resolves with the exit status. */
export async function runCommand(argv: readonly string[]): Promise<number> {
  guardStdout();
  const args = parseRunArgs(argv);
  if (!args) {
    say(RUN_HELP);
    return EXIT.ok;
  }
  const onProgress = (line: string): void => warn(line);
  // A sandbox the fast start spawned is adopted or replaced: nothing to start ahead besides it.
  const first = await prepareSession(args, {
    hostEnv: process.env,
    onProgress,
    prestart: !earlyLaunchPending(),
  });
  leanWarden();
  for (const warning of first.warnings) warn(warning);
  if (args.warm && first.backend.name !== 'docker' && first.backend.name !== 'gvisor')
    warn(`note: --warm has no effect on the ${first.backend.name} backend (docker and gvisor only)`);
  if (args.auditLog !== undefined) checkWritable(args.auditLog);
  // --record FILE (src/replay): opened before anything launches; it never goes to stdout, the MCP channel.
  const recording = args.record === undefined ? undefined : await import('./run-record.ts');
  const record = await recording?.openRecord(args, process.env, warn);
  // --learn FILE (src/learn): refuses an unisolated backend and an unwritable FILE before any launch.
  const learning = args.learn === undefined ? undefined : await import('../learn/learner.ts');
  const learner = learning?.Learner.start(args, first);
  // Last line of defence: whatever path the warden exits by, no sandbox process outlives it.
  process.on('exit', killAllNow);
  // The egress proxy listens before the sandbox starts (bwrap mounts its socket's directory).
  let egress = await startEgress(first);
  // Launch first, load the rest of the warden while the server boots: the session, policy and
  // logging modules cost tens of milliseconds that would otherwise add to every cold start.
  // The client's first message simply waits in the stdin pipe meanwhile.
  const modules = Promise.all([
    import('../supervisor/session.ts'),
    import('../audit/audit-log.ts'),
    import('../audit/logger.ts'),
  ]);
  const {
    prepared,
    sandbox: firstSandbox,
    fallbacks,
  } = await launchFirst(first, {
    auto: args.profile === 'auto',
    prepare: async (skip) => {
      const next = await prepareSession(args, { hostEnv: process.env, onProgress, skipBackends: skip });
      for (const warning of next.warnings) warn(warning);
      return next;
    },
    launch: async (next) => {
      if (next !== first) {
        await egress?.close();
        egress = await startEgress(next);
      }
      // The sandbox the fast start spawned, if this plan confirms it (src/cli/fast-start).
      return launchOrAdopt(next, {
        args,
        fallback: next !== first,
        launch: () => next.backend.launch(next.plan, { onProgress, warm: args.warm === true }),
      });
    },
    onFallback: ({ from, to, reason }) =>
      warn(`warning: auto picked ${from}, which could not launch (${reason}); using ${to} instead`),
  });
  firstSandbox.catch(() => undefined); // reported through the session, which awaits it
  const [{ Session }, { AuditLog }, { createLogger }] = await modules;
  // node:crypto loads only now, after the spawn (it costs ~4 ms).
  const sessionId = process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex');
  const logger = createLogger().child({ session: sessionId });
  const audit = new AuditLog(sessionId, args.auditLog);
  learner?.attach(audit, prepared);
  const session = new Session({
    sessionId,
    profile: prepared.profile,
    backend: prepared.backend,
    plan: prepared.plan,
    firstSandbox,
    command: args.command,
    policy: await policyContext(prepared, args.lock),
    audit,
    logger,
    clientIn: process.stdin,
    clientOut: process.stdout,
    serverLog: process.stderr,
    ...(record ? { tap: record } : {}),
    ...(learner ? { observe: learner.observe } : {}),
  });
  let interrupts = 0;
  const stop = (signal: NodeJS.Signals): void => {
    interrupts++;
    // A second Ctrl-C means "now": skip the graceful ladder.
    const graceful = !(signal === 'SIGINT' && interrupts > 1);
    void session.end(`received ${signal}`, graceful ? EXIT.ok : EXIT.interrupted, graceful);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, stop);
  // Until the session has really ended (audit written, sandbox gone), keep the event loop alive:
  // otherwise a shutdown step waiting on nothing but a child exit or an unref'd timer lets Node exit
  // early with status 0, losing the breach status and the session.end event.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let exitCode: number | undefined;
  try {
    if (record) await recording?.startRecord(record, sessionId, prepared, args);
    // session.start is written synchronously when run() begins; the roots' resolutions follow it.
    const running = session.run();
    auditRootResolutions(audit, prepared);
    for (const fallback of fallbacks) audit.write({ event: 'backend.fallback', ...fallback });
    // The fast start's outcome is known once the first sandbox is (src/cli/fast-start).
    const auditFastStart = (): void => {
      const event = fastStartEvent();
      if (event) audit.write(event);
    };
    void firstSandbox.then(auditFastStart, auditFastStart);
    // --warm: whether the sandbox came from the warm pool, or why not (docker/warm).
    void firstSandbox.then(
      (sandbox) => sandbox.warm && audit.write({ event: 'sandbox.warm', ...sandbox.warm }),
      () => undefined,
    );
    egress?.attach({
      audit: (event) => {
        audit.write(event);
        record?.network(event);
      },
      // network.onDeny "kill": a refused connection is a server breach (kill verdict, exit 70 or restart).
      breach: (rule, reason) => session.breach(rule, reason),
    });
    exitCode = await running;
    return exitCode;
  } finally {
    clearInterval(keepAlive);
    await egress?.close();
    // After the proxy's last connection events; without an exit status the record just stops.
    if (exitCode !== undefined) record?.end(exitCode);
    // Likewise: the learned profile and its report go to files, the summary to stderr (stdout is MCP).
    if (exitCode !== undefined) learner?.finish(exitCode, warn);
    record?.close();
  }
}

/**
 * Start the session's egress proxy when the profile proxies egress. Connection events are held until
 * `attach` gives them sinks (the audit log is created after the launch).
 */
async function startEgress(prepared: PreparedSession) {
  const { mode, socketPath, loopback } = prepared.egress;
  if (mode.kind !== 'proxy' || socketPath === undefined) return undefined;
  const { startSessionEgress } = await import('../network/session-egress.ts');
  // A container run by root runs as another user (plan.runAs): the socket is that user's to connect to.
  const egress = await startSessionEgress(mode, socketPath, prepared.plan.runAs, {
    loopback: loopback === true,
  });
  if (egress.loopback === undefined) return egress;
  // seatbelt: the profile's one network rule and the proxy variables name the port (and credential)
  // the proxy just got on 127.0.0.1: plan the sandbox again with them (prepared.plan is what launches).
  try {
    const { withLoopbackEntry } = await import('../network/loopback-launch.ts');
    prepared.spec = withLoopbackEntry(prepared.spec, egress.loopback);
    prepared.plan = prepared.backend.plan(prepared.spec);
  } catch (error) {
    await egress.close();
    throw error;
  }
  return egress;
}

/** One root.resolved event per root whose real path is not the path given (a symlink was followed). */
function auditRootResolutions(audit: AuditLog, prepared: PreparedSession): void {
  for (const root of prepared.rootResolutions) {
    if (root.realPath === root.path) continue;
    audit.write({
      event: 'root.resolved',
      root: root.path,
      realPath: root.realPath,
      readOnly: root.readOnly,
      links: root.links.map((link) => `${link.link} → ${link.target}`),
      ...(root.confirmedPlanted === undefined ? {} : { confirmedInRwRoot: root.confirmedPlanted }),
    });
  }
}

/** Fail before launching anything if the audit log cannot be appended to. */
function checkWritable(file: string): void {
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    closeSync(openSync(file, 'a'));
  } catch (error) {
    throw new WardenError('audit', `--audit-log ${file}: cannot append to it: ${errorMessage(error)}`, {
      hint: 'give a writable file path',
    });
  }
}

/**
 * stdout is the MCP channel. Route console output from any library to stderr so a stray console.log
 * can never corrupt the protocol stream.
 */
function guardStdout(): void {
  const toStderr = (...parts: unknown[]): void => {
    process.stderr.write(`${parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ')}\n`);
  };
  /* eslint-disable no-console -- replacing console's stdout methods, not writing through them */
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.dir = toStderr;
  /* eslint-enable no-console */
}
