import path from 'node:path';
import { errorMessage } from '../../errors.ts';
import { launchHostPlan } from '../../sandboxes/launch-host-plan.ts';
import { killAllNow } from '../../sandboxes/process/spawn-sandbox-process.ts';
import { cacheDir } from '../../util/cache-dir.ts';
import { parseEntry, planOf } from './cache-entry.ts';
import { fastStartDir, privateDirProblem, readPrivateFile } from './cache-file.ts';
import { NO_FAST_START_VAR, setEarlyStart } from './early-launch.ts';
import { entryProblem } from './entry-checks.ts';
import { keyDifference, keyFileName, startKey } from './start-key.ts';

/**
 * The fast start of `run` (docs/performance.md): called by main.ts before the rest of the warden
 * loads, with the arguments after `run`. When a launch of this exact configuration is cached and its
 * cheap checks pass (entry-checks.ts), spawn it now, exactly as its backend would; `prepareSession`
 * then runs as usual while the server boots, and run.ts adopts this sandbox only if the plan it
 * prepares is the same (adopt-launch.ts), else kills it unseen. The client's stdin is not read here:
 * the sandbox gets no client byte before that confirmation. Writes nothing (stdout is the MCP
 * channel, and a miss is not worth a line on stderr); never throws. Resolves once a spawned sandbox
 * has its descriptor inputs (at once otherwise); never rejects.
 */
export function startEarly(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (isSet(env[NO_FAST_START_VAR])) {
    setEarlyStart({ kind: 'off' });
    return Promise.resolve();
  }
  let where: { key: ReturnType<typeof startKey>; dir: string; file: string } | undefined;
  try {
    const key = startKey(argv, env);
    const dir = fastStartDir(cacheDir(env));
    where = { key, dir, file: path.join(dir, keyFileName(key)) };
    const reason = privateDirProblem(dir);
    if (reason !== undefined) {
      setEarlyStart({ kind: 'miss', ...where, reason });
      return Promise.resolve();
    }
    const read = readPrivateFile(where.file);
    if ('problem' in read) {
      setEarlyStart({ kind: 'miss', ...where, reason: read.problem });
      return Promise.resolve();
    }
    const entry = parseEntry(read.text);
    if (entry === undefined) {
      setEarlyStart({
        kind: 'miss',
        ...where,
        reason: `${where.file} is not an intact cached launch of this version`,
      });
      return Promise.resolve();
    }
    const differs = keyDifference(entry.key, key) ?? entryProblem(entry, env, dir);
    if (differs !== undefined) {
      setEarlyStart({ kind: 'miss', ...where, reason: differs });
      return Promise.resolve();
    }
    const sandbox = launchHostPlan(planOf(entry.plan));
    sandbox.catch(() => undefined); // adopt-launch.ts awaits it
    // Before run.ts registers its own: a warden that fails before then must not leave the sandbox.
    process.on('exit', killAllNow);
    setEarlyStart({ kind: 'spawned', ...where, entry, sandbox });
    // bwrap reads its --args and --seccomp descriptors to EOF, and the event loop is what closes them:
    // main.ts waits for that before it loads the rest of the warden, synchronous work of ~100 ms.
    return sandbox.then(
      (spawned) => spawned.inputsDelivered,
      () => undefined,
    );
  } catch (error) {
    if (where !== undefined)
      setEarlyStart({ kind: 'miss', ...where, reason: `fast start failed: ${errorMessage(error)}` });
    return Promise.resolve();
  }
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0';
}
