import { parseRunArgs } from './args.ts';
import { EXIT } from './exit-codes.ts';
import { RUN_HELP } from './help.ts';
import { say, warn } from './output.ts';
import { prepareSession } from './prepare-session.ts';

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
    onProgress: (line) => warn(line),
  });
  const { profile, plan, spec, roots } = prepared;
  say(
    JSON.stringify(
      {
        profile: profile.name,
        backend: plan.backend,
        argv: plan.argv,
        env: plan.env,
        serverEnv: spec.env,
        cwd: plan.cwd,
        roots: roots.map((r) => ({ path: r.path, realPath: r.realPath, readOnly: r.readOnly })),
        readOnlyPaths: spec.readOnlyPaths,
        notes: plan.notes,
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
