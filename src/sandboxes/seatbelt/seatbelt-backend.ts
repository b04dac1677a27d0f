import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WardenError, errorMessage } from '../../errors.ts';
import { spawnSandboxProcess } from '../process/spawn-sandbox-process.ts';
import type { Availability, Backend, SandboxPlan } from '../types.ts';
import { readBasePolicy } from './base-policy.ts';
import { SANDBOX_EXEC, type SeatbeltDetails, planSeatbelt } from './seatbelt-plan.ts';

const PROBE_TIMEOUT_MS = 5000;
// The smallest profile that makes sandbox-exec do its whole job (parse, compile, apply, exec).
const TRIVIAL_PROFILE = '(version 1)\n(allow default)\n';

let probed: Promise<Availability> | undefined;

// Work directories of running sandboxes, removed synchronously if the warden exits first.
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/**
 * macOS Seatbelt via sandbox-exec: a deny-default profile (policy.sb plus the session's roots,
 * runtime and server code) generated per launch; see docs/seatbelt.md. The profile lives in a private
 * directory (0700, file 0600) that also holds the server's TMPDIR and is removed when it exits.
 */
export const seatbeltBackend: Backend = {
  name: 'seatbelt',
  probe() {
    probed ??= probeSeatbelt();
    return probed;
  },
  plan(spec) {
    return planSeatbelt(spec, {
      basePolicy: readBasePolicy(),
      home: os.homedir(),
      // An unguessable name, created exclusively at launch (what mkdtemp does), chosen here so that
      // `explain` prints the exact argv.
      workDir: path.join(os.tmpdir(), `mcp-warden-seatbelt-${randomBytes(8).toString('hex')}`),
    });
  },
  async launch(plan) {
    const details = seatbeltDetails(plan);
    prepareWorkDir(details);
    try {
      const sandbox = await spawnSandboxProcess(plan.argv, plan.env, plan.cwd);
      void sandbox.exited.then(() => removeWorkDir(details.workDir));
      return sandbox;
    } catch (error) {
      removeWorkDir(details.workDir);
      throw error;
    }
  },
};

function seatbeltDetails(plan: SandboxPlan): SeatbeltDetails {
  const d = plan.details as Partial<SeatbeltDetails> | undefined;
  if (
    typeof d?.profile !== 'string' ||
    typeof d.profileFile !== 'string' ||
    typeof d.workDir !== 'string' ||
    typeof d.tmpDir !== 'string'
  ) {
    throw new WardenError('internal', 'a seatbelt plan without its generated profile');
  }
  // Planned before the proxy listened (explain's plan): it would run with no network at all, and the
  // server's requests would fail for no reason it could tell. The caller must plan again with the entry.
  if (d.egress !== undefined && d.egress.proxyPort === undefined) {
    throw new WardenError(
      'internal',
      "a seatbelt plan with egress by allowlist but without the proxy's port: start the proxy with a loopback entry (startSessionEgress) and plan again with it (withLoopbackEntry)",
    );
  }
  return d as SeatbeltDetails;
}

/** Create the work directory exclusively (never reuse or follow what is there), its tmp/ and the profile. */
function prepareWorkDir(details: SeatbeltDetails): void {
  try {
    mkdirSync(details.workDir, { mode: 0o700 });
  } catch (error) {
    throw new WardenError('launch-failed', `cannot create ${details.workDir}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  liveDirs.add(details.workDir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const dir of liveDirs) removeWorkDir(dir);
    });
  }
  try {
    mkdirSync(details.tmpDir, { mode: 0o700 });
    writeFileSync(details.profileFile, details.profile, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    removeWorkDir(details.workDir);
    throw new WardenError('launch-failed', `cannot write the Seatbelt profile: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

function removeWorkDir(dir: string): void {
  liveDirs.delete(dir);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Best effort: it is in the user's private temp directory.
  }
}

async function probeSeatbelt(): Promise<Availability> {
  if (process.platform !== 'darwin') {
    return {
      available: false,
      reason: `Seatbelt (sandbox-exec) is macOS only; this is ${process.platform}`,
      fix: 'use --profile bwrap on Linux',
    };
  }
  const { execa } = await import('execa');
  const result = await execa(SANDBOX_EXEC, ['-p', TRIVIAL_PROFILE, '/usr/bin/true'], {
    timeout: PROBE_TIMEOUT_MS,
    reject: false,
    env: {},
    extendEnv: false,
    stdin: 'ignore',
  });
  if (result.exitCode === 0) return { available: true };
  const message = result.timedOut
    ? `timed out after ${PROBE_TIMEOUT_MS} ms`
    : result.stderr.trim() || `exit status ${result.exitCode ?? result.signal}`;
  return {
    available: false,
    reason: `sandbox-exec cannot run a trivial profile: ${message}`,
    fix: `check that ${SANDBOX_EXEC} exists and that the warden is not already inside a sandbox (nested sandboxes are refused); or use --profile none`,
  };
}
