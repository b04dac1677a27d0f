import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditEvent } from '../audit/events.ts';
import { formatZodError } from '../config/format-zod-error.ts';
import { PROFILES_DIR } from '../config/profile-source.ts';
import { ProfileSchema } from '../config/profile-schema.ts';
import { WardenError, errorMessage } from '../errors.ts';
import type { PolicyContext, SessionView, Verdict } from '../policy/types.ts';
import type { JsonRpcMessage } from '../protocol/json-rpc.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { parseEnvArg, type RunArgs } from '../cli/args.ts';
import type { PreparedSession } from '../cli/prepare-session.ts';
import { learnProfile, type LearnResult } from './learn-profile.ts';
import type { LearnEvent } from './observations.ts';
import { observeRequest } from './observe-request.ts';
import { PeakSampler } from './peak-sampler.ts';
import { ConfigPaths } from './config-paths.ts';
import { renderReport } from './render-report.ts';

/** Observations kept at most; a longer session keeps learning from its audit events only. */
const MAX_OBSERVATIONS = 200_000;

/** Audit events the derivation reads (learn-profile.ts). */
const KEPT_EVENTS: ReadonlySet<AuditEvent['event']> = new Set([
  'session.start',
  'verdict',
  'network.connection',
  'sandbox.stop',
  'sandbox.startup-failed',
  'tool.withheld',
  'definition.withheld',
]);

/** Where the learned profile and its companion reports go. */
export interface LearnFiles {
  profile: string;
  reportMd: string;
  reportJson: string;
}

/** `x.json` → `x.report.md` and `x.report.json` beside it. */
export function learnFiles(out: string): LearnFiles {
  const profile = path.resolve(out);
  const stem = profile.endsWith('.json') ? profile.slice(0, -'.json'.length) : profile;
  return { profile, reportMd: `${stem}.report.md`, reportJson: `${stem}.report.json` };
}

/**
 * `run --learn FILE` / `mcp-warden learn --out FILE`: collects what the session needed (the audit
 * events, every client request as the policy read it, the sandbox's resource peaks) and at the end
 * writes the least-privilege profile and its reports. The session itself runs exactly as `run`.
 */
export class Learner {
  readonly #args: RunArgs;
  readonly #files: LearnFiles;
  readonly #events: LearnEvent[] = [];
  #observations = 0;
  #prepared: PreparedSession | undefined;
  #sampler: PeakSampler | undefined;
  readonly #configPaths: ConfigPaths;
  readonly #host = { isDirectory };

  private constructor(args: RunArgs, files: LearnFiles, prepared: PreparedSession) {
    this.#args = args;
    this.#files = files;
    // Looked at before the launch: what the server's own arguments and variables name in the roots.
    const sources: Array<readonly [string, string]> = args.command
      .slice(1)
      .map((value, i) => [`argument ${i + 1}`, value] as const);
    for (const name of envNames(args, prepared))
      sources.push([`env ${name}`, prepared.spec.env[name] as string]);
    this.#configPaths = new ConfigPaths(sources, prepared.roots);
  }

  /**
   * Check before anything launches: the backend isolates (never silently `none`: only an explicit
   * `--profile none` may learn without a sandbox) and the output directory is writable.
   */
  static start(args: RunArgs, prepared: PreparedSession): Learner {
    const out = args.learn;
    if (out === undefined) throw new Error('Learner.start without --learn');
    if (prepared.backend.name === 'none' && args.profile !== 'none') {
      throw new WardenError(
        'config',
        `learn would run the server without any sandbox: profile "${prepared.profile.name}" uses the none backend`,
        {
          hint: 'learn in the sandbox you will enforce (--profile bwrap, docker, gvisor or auto); to learn without isolation anyway, say so with --profile none',
        },
      );
    }
    const files = learnFiles(out);
    const dir = path.dirname(files.profile);
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a directory');
      accessSync(dir, constants.W_OK);
    } catch (error) {
      throw new WardenError('usage', `--out ${out}: cannot write in ${dir}: ${errorMessage(error)}`, {
        hint: 'give a profile path in an existing, writable directory',
      });
    }
    return new Learner(args, files, prepared);
  }

  /** Follow the session that runs `prepared` (the final pick, after any auto fallback) through its audit log. */
  attach(audit: AuditLog, prepared: PreparedSession): void {
    this.#prepared = prepared;
    this.#sampler = new PeakSampler(prepared.backend.name);
    audit.onEvent((event) => {
      if (event.event === 'sandbox.start') this.#sampler?.watch(event.pid);
      if (KEPT_EVENTS.has(event.event)) this.#keep(event);
    });
  }

  /** SessionOptions.observe: every client request as the policy decided it. */
  readonly observe = (
    message: JsonRpcMessage,
    verdict: Verdict,
    state: SessionView,
    ctx: PolicyContext,
  ): void => {
    if (message.kind !== 'request' || this.#observations >= MAX_OBSERVATIONS) return;
    try {
      const observation = observeRequest(message, verdict, state, ctx, this.#host);
      if (observation) this.#keep(observation);
    } catch {
      // An observer never disturbs the session; an unreadable request is simply not learned from.
    }
  };

  /**
   * The session ended with `exitCode`: derive the profile, check it against the profile schema, write
   * it and its reports, and tell the user on stderr (`say`: a line to write there). Returns the result.
   */
  finish(exitCode: number, say: (line: string) => void): LearnResult {
    this.#sampler?.stop();
    const prepared = this.#prepared;
    if (prepared === undefined) throw new Error('Learner.finish before attach');
    if (this.#sampler) this.#events.push(this.#sampler.peak());
    this.#events.push(...this.#configPaths.finish());
    const result = learnProfile(this.#events, {
      profile: prepared.profile,
      backend: prepared.backend.name,
      roots: prepared.roots,
      env: envNames(this.#args, prepared),
      name: profileName(this.#args.name, this.#files.profile),
      command: this.#args.command,
      learnNetwork: this.#args.learnNetwork === true,
      enforced: enforcedLimits(prepared),
      schema: path.join(PROFILES_DIR, 'schema.json'),
    });
    if (exitCode !== 0) {
      result.report.notes.push(
        `the learning session ended with exit status ${exitCode}: what happened after that was not observed`,
      );
    }
    if (this.#observations >= MAX_OBSERVATIONS) {
      result.report.notes.push(`only the first ${MAX_OBSERVATIONS} requests were observed`);
    }
    const checked = ProfileSchema.safeParse(result.profile);
    if (!checked.success) {
      throw new WardenError(
        'config',
        `the learned profile does not validate (a bug in mcp-warden learn):\n${formatZodError(checked.error, '')}`,
      );
    }
    const files = this.#files;
    try {
      writeFileAtomic(files.profile, `${JSON.stringify(result.profile, null, 2)}\n`, { mode: 0o644 });
      writeFileAtomic(files.reportJson, `${JSON.stringify(result.report, null, 2)}\n`, { mode: 0o644 });
      writeFileAtomic(files.reportMd, renderReport(result.report, files.profile), { mode: 0o644 });
    } catch (error) {
      throw new WardenError(
        'usage',
        `cannot write the learned profile ${files.profile}: ${errorMessage(error)}`,
        {
          hint: 'give a profile path in an existing, writable directory',
        },
      );
    }
    say(summary(result, files));
    return result;
  }

  #keep(event: LearnEvent): void {
    if (event.event === 'learn.request') this.#observations++;
    this.#events.push(event);
  }
}

/** The names of the variables the server was given: --env and the profile's env, when they had a value. */
function envNames(args: RunArgs, prepared: PreparedSession): string[] {
  const names = [...args.env.map((spec) => parseEnvArg(spec).name), ...(prepared.profile.env ?? [])];
  return [...new Set(names)].filter((name) => Object.hasOwn(prepared.spec.env, name));
}

/** --name, else the output file's name without `.json` (at most 64 characters: the schema's limit). */
function profileName(name: string | undefined, file: string): string {
  const base = name ?? path.basename(file).replace(/\.json$/, '');
  return (base === '' ? 'learned' : base).slice(0, 64);
}

function summary({ report }: LearnResult, files: LearnFiles): string {
  const count = (setting: string): number => report.granted.filter((e) => e.setting === setting).length;
  const lines = [
    `learned profile written to ${files.profile}: ${count('roots')} root(s), ${count('policy.tools.allow')} tool(s), ${count('network.allow')} host(s), ${count('env')} env name(s)`,
    `  why each setting is there: ${files.reportMd} (and .json)`,
  ];
  if (report.wouldNeed.length > 0) {
    lines.push(
      `  blocked while learning (would need, not granted): ${report.wouldNeed.length}; see the report`,
    );
  }
  lines.push(
    `  review it, then: mcp-warden explain --profile ${files.profile} -- ${report.command.join(' ')}`,
  );
  return lines.join('\n');
}

/** Which learnable limits the session's backend enforces: those its planner does not list as unenforced. */
function enforcedLimits(prepared: PreparedSession): { memoryMb: boolean; pids: boolean } {
  try {
    const probe = prepared.backend.plan({
      ...prepared.spec,
      limits: { ...prepared.spec.limits, memoryMb: 1024, pids: 1024 },
    });
    const unenforced = probe.unenforced.join('\n');
    return { memoryMb: !/^memory /m.test(unenforced), pids: !/^pids /m.test(unenforced) };
  } catch {
    return { memoryMb: false, pids: false };
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
