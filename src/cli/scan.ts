import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SEVERITIES } from '../config/severities.ts';
import { WardenError, errorMessage } from '../errors.ts';
import { collectDefinitions } from '../scan/collect-definitions.ts';
import { readLockFile, writeLockFile } from '../scan/lock-file.ts';
import { type LockOutcome, renderScanReport } from '../scan/render-report.ts';
import { LOCK_WHERE, buildScanReport, failingFindings } from '../scan/scan-report.ts';
import type { Severity } from '../scan/severity.ts';
import { startStdioRpc } from '../scan/stdio-rpc.ts';
import { EXIT } from './exit-codes.ts';
import { SCAN_HELP } from './help-scan.ts';
import { say, warn } from './output.ts';

/** Default lock file, in the current directory. */
export const DEFAULT_LOCK_FILE = 'mcp-warden.lock.json';

// The scanned server runs under `mcp-warden run` with the content guards off, so scan sees (and hashes)
// exactly what the server sends; the sandbox and every other rule stay on.
const RAW_POLICY = {
  guards: { redactSecrets: false, stripControls: false, poisonedTools: 'off', pinTools: false },
};

/**
 * `mcp-warden scan [options] -- COMMAND...`: start the server in the sandbox, list its tools, prompts
 * and resources, report poisoned definitions, and compare with / record the lock file. Exit 0 when no
 * finding reaches --fail-on (default high), 1 when some do, 2 on usage errors, 69 when the backend is
 * unavailable.
 */
export async function scanCommand(argv: readonly string[]): Promise<number> {
  const split = argv.indexOf('--');
  const own = split >= 0 ? argv.slice(0, split) : [...argv];
  const command = split >= 0 ? argv.slice(split + 1) : [];
  let values;
  try {
    ({ values } = parseArgs({
      args: own,
      strict: true,
      options: {
        profile: { type: 'string' },
        root: { type: 'string', multiple: true },
        env: { type: 'string', multiple: true },
        lock: { type: 'string' },
        update: { type: 'boolean' },
        json: { type: 'boolean' },
        'fail-on': { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new WardenError('usage', errorMessage(error), { hint: 'see mcp-warden scan --help' });
  }
  if (values.help) {
    say(SCAN_HELP);
    return EXIT.ok;
  }
  if (command.length === 0) {
    throw new WardenError('usage', 'no server command given', {
      hint: 'mcp-warden scan -- npx -y @modelcontextprotocol/server-filesystem /data',
    });
  }
  const failOn = (values['fail-on'] ?? 'high') as Severity;
  if (!(SEVERITIES as readonly string[]).includes(failOn)) {
    throw new WardenError('usage', `--fail-on must be one of ${SEVERITIES.join(', ')}, not "${failOn}"`);
  }
  const timeoutMs = values.timeout === undefined ? 60_000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100)
    throw new WardenError('usage', '--timeout must be a whole number of ms ≥ 100');
  const lockFile = values.lock ?? DEFAULT_LOCK_FILE;
  const previous = readLockFile(lockFile);

  const temp = mkdtempSync(path.join(os.tmpdir(), 'mcp-warden-scan-'));
  const policyFile = path.join(temp, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(RAW_POLICY));
  const runArgv = [
    process.argv[1] ?? 'mcp-warden',
    'run',
    '--profile',
    values.profile ?? 'auto',
    '--policy',
    policyFile,
  ];
  for (const root of values.root ?? []) runArgv.push('--root', root);
  for (const env of values.env ?? []) runArgv.push('--env', env);
  runArgv.push('--', ...command);
  const rpc = startStdioRpc(process.execPath, runArgv, timeoutMs);
  let defs;
  try {
    defs = await collectDefinitions(rpc);
  } catch (error) {
    const stderr = rpc.stderr().trim();
    throw new WardenError(
      'launch-failed',
      `scan: could not list the server's definitions: ${errorMessage(error)}`,
      {
        hint: stderr
          ? `the warden said:\n${stderr.slice(-2000)}`
          : 'check the command with mcp-warden run first',
      },
    );
  } finally {
    await rpc.close();
    rmSync(temp, { recursive: true, force: true });
  }

  const report = buildScanReport(defs, command, previous);
  const failing = failingFindings(report, failOn);
  let lockOutcome: LockOutcome;
  if (values.update) {
    writeLockFile(lockFile, report.lock);
    lockOutcome = previous ? 'updated' : 'created';
  } else if (previous) {
    lockOutcome = report.matchesLock ? 'unchanged' : 'mismatch';
  } else if (failing.length === 0) {
    writeLockFile(lockFile, report.lock);
    lockOutcome = 'created';
  } else {
    lockOutcome = 'not-written';
  }
  // With --update the user approved what was listed: lock differences are no longer findings.
  const shown = values.update ? report.findings.filter((f) => f.where !== LOCK_WHERE) : report.findings;
  const failingShown = shown.filter((f) => failing.includes(f));
  const exitCode = failingShown.length > 0 ? EXIT.failure : EXIT.ok;
  if (values.json) {
    say(
      JSON.stringify(
        {
          command,
          counts: report.counts,
          findings: shown,
          failOn,
          lock: { file: lockFile, outcome: lockOutcome },
          exitCode,
        },
        null,
        2,
      ),
    );
  } else {
    say(
      renderScanReport(
        { ...report, findings: shown },
        { command, lockFile, lockOutcome, failing: failingShown.length, failOn },
      ),
    );
  }
  if (exitCode !== EXIT.ok && !values.json)
    warn(`scan found ${failingShown.length} finding(s) at or above ${failOn}`);
  return exitCode;
}
