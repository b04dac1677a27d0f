import { describeEgress } from '../network/egress-settings.ts';
import { parseRunArgs } from './args.ts';
import { EXIT } from './exit-codes.ts';
import { RUN_HELP } from './help.ts';
import { say, warn } from './output.ts';
import { type PreparedSession, prepareSession } from './prepare-session.ts';

/** `mcp-warden explain`: a dry run that prints the exact sandbox `run` would launch, as JSON. */
export async function explainCommand(argv: readonly string[]): Promise<number> {
  const args = parseRunArgs(argv);
  if (!args) {
    say(RUN_HELP);
    return EXIT.ok;
  }
  // A dry run needs no working backend: seatbelt's plan can be read on Linux too.
  const prepared = await prepareSession(args, {
    hostEnv: process.env,
    probe: false,
    record: false,
    onProgress: (line) => warn(line),
  });
  const { profile, plan, spec, rootResolutions } = prepared;
  say(
    JSON.stringify(
      {
        profile: profile.name,
        backend: plan.backend,
        argv: plan.argv,
        env: plan.env,
        // Names only: explain output gets pasted into bug reports, and values are often tokens.
        serverEnv: Object.fromEntries(Object.keys(spec.env).map((name) => [name, '<redacted>'])),
        cwd: plan.cwd,
        roots: rootResolutions.map((r) => ({
          path: r.path,
          realPath: r.realPath,
          readOnly: r.readOnly,
          ...(r.links.length === 0 ? {} : { symlinks: r.links.map((l) => `${l.link} → ${l.target}`) }),
          ...(r.confirmedPlanted === undefined ? {} : { confirmedSymlinkInRwRoot: r.confirmedPlanted }),
        })),
        readOnlyPaths: spec.readOnlyPaths,
        // The server's private, persistent HOME (created by run, not by explain).
        ...(spec.stateHome === undefined ? {} : { stateHome: spec.stateHome }),
        mounts: mountList(prepared),
        notMounted: spec.notMounted ?? [],
        notes: plan.notes,
        network: describeEgress(
          prepared.egress.mode,
          prepared.egress.socketPath,
          prepared.egress.relay !== false,
          prepared.egress.loopback === true,
        ),
        unenforced: plan.unenforced,
        ...(plan.details === undefined ? {} : { details: plan.details }),
        warnings: prepared.warnings,
        onClientBreach: profile.onClientBreach,
        onServerBreach: profile.onServerBreach,
        policy: profile.policy,
      },
      null,
      2,
    ),
  );
  return EXIT.ok;
}

/**
 * Every host path the launch spec mounts, with its mode and the reason: the roots (at their given and
 * real paths), then the read-only paths. A backend adds its own fixed mounts (/proc, /dev, /tmp: see
 * `notes`); nothing else of the host is visible.
 */
function mountList(prepared: PreparedSession): Array<{ path: string; mode: 'rw' | 'ro'; why: string }> {
  const mounts: Array<{ path: string; mode: 'rw' | 'ro'; why: string }> = [];
  for (const root of prepared.rootResolutions) {
    const mode = root.readOnly ? 'ro' : 'rw';
    mounts.push({ path: root.path, mode, why: `root (--root ${root.path}${root.readOnly ? ':ro' : ''})` });
    if (root.realPath !== root.path) {
      mounts.push({
        path: root.realPath,
        mode,
        why: `root ${root.path}: its real path (the directory mounted)`,
      });
    }
  }
  const home = prepared.spec.stateHome;
  if (home !== undefined) {
    mounts.push({
      path: home.path,
      mode: 'rw',
      why: `the server's private home (HOME), kept across sessions; named "${home.name}" after ${home.why}`,
    });
  }
  const why = prepared.spec.readOnlyWhy ?? {};
  for (const file of prepared.spec.readOnlyPaths) {
    mounts.push({ path: file, mode: 'ro', why: why[file] ?? 'read-only path of the launch spec' });
  }
  return mounts;
}
