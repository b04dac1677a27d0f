import { sanitizeReason } from '../protocol/wire-errors.ts';
import type { Change, Outcome, SessionReplay } from './replay-decide.ts';

/** The profile a replay decided under, as reports name it. */
export interface ReplayedProfile {
  name: string;
  sha256: string;
}

/** The machine-readable report (`replay --json`): stable keys for CI. */
export interface ReplayReport {
  /** Report format version. */
  version: 1;
  profile: ReplayedProfile;
  /** true when any decision differs (the exit status is then 1). */
  changed: boolean;
  totals: {
    sessions: number;
    messages: number;
    connections: number;
    skipped: number;
    notRedecided: number;
    allowedToDenied: number;
    deniedToAllowed: number;
    ruleChanged: number;
  };
  sessions: Array<Omit<SessionReplay, 'changes'> & { changes: number }>;
  changes: Change[];
}

/** Gather the replays of every session into one report. Pure. */
export function buildReport(profile: ReplayedProfile, replays: readonly SessionReplay[]): ReplayReport {
  const changes = replays.flatMap((replay) => replay.changes);
  const sum = (key: 'messages' | 'connections' | 'skipped' | 'notRedecided'): number =>
    replays.reduce((total, replay) => total + replay[key], 0);
  const kinds = (kind: Change['kind']): number => changes.filter((change) => change.kind === kind).length;
  return {
    version: 1,
    profile,
    changed: changes.length > 0,
    totals: {
      sessions: replays.length,
      messages: sum('messages'),
      connections: sum('connections'),
      skipped: sum('skipped'),
      notRedecided: sum('notRedecided'),
      allowedToDenied: kinds('allowed → denied'),
      deniedToAllowed: kinds('denied → allowed'),
      ruleChanged: kinds('rule changed'),
    },
    sessions: replays.map(({ changes: found, ...rest }) => ({ ...rest, changes: found.length })),
    changes,
  };
}

/** The report as people read it: one line per change, then the totals. */
export function renderReport(report: ReplayReport): string {
  const lines: string[] = [];
  const { totals } = report;
  const profile = `${report.profile.name} (sha256 ${report.profile.sha256.slice(0, 12)})`;
  for (const change of report.changes) lines.push(renderChange(change));
  if (report.changed) lines.push('');
  const what = `${plural(totals.messages, 'message')} and ${plural(totals.connections, 'connection')} in ${plural(totals.sessions, 'session')}`;
  if (!report.changed) {
    lines.push(`no changes: ${what} decided again under profile ${profile}, every decision the same`);
  } else {
    const counts = [
      totals.allowedToDenied > 0 ? `${totals.allowedToDenied} allowed → denied` : undefined,
      totals.deniedToAllowed > 0 ? `${totals.deniedToAllowed} denied → allowed` : undefined,
      totals.ruleChanged > 0 ? `${totals.ruleChanged} denied by another rule` : undefined,
    ].filter((part) => part !== undefined);
    lines.push(
      `${plural(report.changes.length, 'change')} (${counts.join(', ')}): ${what} decided again under profile ${profile}`,
    );
  }
  if (totals.skipped > 0) {
    lines.push(
      `  ${plural(totals.skipped, 'server answer')} skipped: the requests they answer are denied under this profile`,
    );
  }
  if (totals.notRedecided > 0) {
    lines.push(
      `  ${plural(totals.notRedecided, 'line')} not decided again (unparseable or oversize lines, connections refused for limits or SNI)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function renderChange(change: Change): string {
  const where = `${change.file}:${change.line}`;
  const what =
    change.direction === 'network'
      ? `network ${change.method} ${change.summary}`
      : `${change.direction} ${change.method}${change.tool === undefined ? '' : ` ${change.tool}`}${change.summary === '' ? '' : ` (${change.summary})`}`;
  const verdicts = `${describeOutcome(change.before)} → ${describeOutcome(change.after)}`;
  const reason = change.after.allowed ? '' : `: ${sanitizeReason(change.after.reason, 200)}`;
  return `${where}  ${change.kind.toUpperCase()}  ${what}  [${verdicts}]${reason}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function describeOutcome(outcome: Outcome): string {
  if (outcome.allowed) return 'allowed';
  return `${outcome.action === 'kill' ? 'killed' : 'denied'} by ${outcome.rule}`;
}
