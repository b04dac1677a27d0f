import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadProfile } from '../config/load-profile.ts';
import type { Profile } from '../config/profile-schema.ts';
import type { ResolvedRoot } from '../config/root.ts';
import { WardenError, errorMessage } from '../errors.ts';
import { egressMode } from '../network/egress-settings.ts';
import type { PolicyContext } from '../policy/types.ts';
import { type RecordedSession, parseRecord } from '../replay/read-record.ts';
import { type ReplayContext, type SessionReplay, replaySession } from '../replay/replay-decide.ts';
import { buildReport, renderReport } from '../replay/replay-report.ts';
import { homeDir } from '../util/home-dir.ts';
import { hostPaths } from '../util/host-paths.ts';
import { EXIT } from './exit-codes.ts';
import { REPLAY_HELP } from './help-replay.ts';
import { say } from './output.ts';
import { resolveRoot, toResolvedRoot } from './resolve-root.ts';
import { loadToolLock } from './tool-lock.ts';

/**
 * `mcp-warden replay --profile P FILE...`: decide recorded sessions again under P (src/replay) and
 * print what changes. Exit 0 when nothing does, 1 when something does; bad input throws
 * WardenError('usage'/'config'), exit 2.
 */
export function replayCommand(argv: readonly string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        profile: { type: 'string' },
        policy: { type: 'string' },
        root: { type: 'string', multiple: true },
        'allow-host': { type: 'string', multiple: true },
        lock: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new WardenError('usage', errorMessage(error), { hint: 'see mcp-warden replay --help' });
  }
  const { values, positionals: files } = parsed;
  if (values.help) {
    say(REPLAY_HELP);
    return EXIT.ok;
  }
  if (values.profile === undefined || values.profile === 'auto') {
    throw new WardenError('usage', 'replay needs the profile to decide under: --profile NAME|FILE', {
      hint: 'e.g. mcp-warden replay --profile ./tightened.json session.jsonl (auto is not a profile: name one)',
    });
  }
  if (files.length === 0) {
    throw new WardenError('usage', 'no record given', {
      hint: 'name one or more files written by mcp-warden run --record FILE',
    });
  }
  const profile = loadProfile(values.profile, values.policy);
  const roots = values.root?.map((value) => toResolvedRoot(resolveRoot(value)));
  const lock = loadToolLock(values.lock ?? profile.policy.guards.lockFile);
  const sessions = files.flatMap(readSessions);
  const hostAddresses = interfaceAddresses();
  const replays: SessionReplay[] = sessions.map((session) =>
    replaySession(
      session,
      replayContext(profile, session, { roots, allowHost: values['allow-host'], lock, hostAddresses }),
    ),
  );
  const report = buildReport(
    { name: profile.name, sha256: createHash('sha256').update(JSON.stringify(profile)).digest('hex') },
    replays,
  );
  say(values.json ? JSON.stringify(report, null, 2) : renderReport(report));
  return report.changed ? EXIT.failure : EXIT.ok;
}

/** Read and parse one record; every problem is a usage error naming the file and line (exit 2). */
function readSessions(file: string): RecordedSession[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WardenError('usage', `cannot read the record ${file}: ${errorMessage(error)}`, {
      hint: 'name a file written by mcp-warden run --record FILE',
    });
  }
  const parsed = parseRecord(text, file);
  if (!parsed.ok) {
    const { line, problem, hint } = parsed.error;
    throw new WardenError('usage', `${file}${line > 0 ? ` line ${line}` : ''}: ${problem}`, {
      hint: hint ?? 'replay reads files written by mcp-warden run --record FILE, unchanged',
    });
  }
  return parsed.sessions;
}

/** The policy context and egress of one session under the replayed profile. */
function replayContext(
  profile: Profile,
  session: RecordedSession,
  given: {
    roots: ResolvedRoot[] | undefined;
    allowHost: string[] | undefined;
    lock: { lock?: ReadonlyMap<string, string> };
    hostAddresses: readonly string[];
  },
): ReplayContext {
  const policy: PolicyContext = {
    policy: profile.policy,
    roots: given.roots ?? session.header.roots,
    home: homeDir(),
    realpath: hostPaths.realpath,
    readlink: hostPaths.readlink,
    exists: hostPaths.exists,
    ...given.lock,
  };
  return {
    policy,
    egress: egressMode(profile.network, given.allowHost ?? session.header.allowHost),
    hostAddresses: given.hostAddresses,
  };
}

/** This host's own addresses, which the proxy refuses like private ones. */
function interfaceAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address));
}
