import { createHash } from 'node:crypto';
import type { RecordWriter } from '../replay/record-writer.ts';
import { parseEnvArg, type RunArgs } from './args.ts';
import type { PreparedSession } from './prepare-session.ts';

/**
 * `run --record FILE`: open the record before anything is launched (a bad path fails at once, like
 * --audit-log), with the values of --env to redact. Undefined without --record.
 */
export async function openRecord(
  args: RunArgs,
  hostEnv: NodeJS.ProcessEnv,
  onError: (message: string) => void,
): Promise<RecordWriter | undefined> {
  if (args.record === undefined) return undefined;
  const { RecordWriter } = await import('../replay/record-writer.ts');
  const envValues = args.env.flatMap((spec) => {
    const { name, value } = parseEnvArg(spec);
    const resolved = value ?? hostEnv[name];
    return resolved === undefined ? [] : [{ name, value: resolved }];
  });
  return RecordWriter.open(args.record, { envValues, contents: args.recordContents ?? false }, onError);
}

/** Write the record's header for the session about to run. */
export async function startRecord(
  record: RecordWriter,
  session: string,
  prepared: PreparedSession,
  args: RunArgs,
): Promise<void> {
  const { wardenVersion } = await import('../replay/warden-version.ts');
  record.start({
    warden: wardenVersion(),
    session,
    profile: {
      name: prepared.profile.name,
      backend: prepared.backend.name,
      sha256: createHash('sha256').update(JSON.stringify(prepared.profile)).digest('hex'),
    },
    roots: prepared.roots.map(({ path, realPath, readOnly }) => ({ path, realPath, readOnly })),
    allowHost: args.allowHost ?? [],
    command: args.command,
  });
}
