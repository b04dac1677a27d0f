import type { ServerDefinitions } from './collect-definitions.ts';
import { definitionHash } from './definition-hash.ts';
import type { LockFile } from './lock-file.ts';
import { definitionName, reviewDefinition, type DefinitionKind, type Finding } from './review-definition.ts';
import { atLeast, type Severity } from './severity.ts';

/** The outcome of one scan. */
export interface ScanReport {
  counts: { tools: number; prompts: number; resources: number; resourceTemplates: number };
  findings: Finding[];
  /** The lock this scan would write: current hashes of every definition. */
  lock: LockFile;
  /** Whether the server's definitions equal the existing lock (undefined: there was none). */
  matchesLock: boolean | undefined;
}

type PinKey = 'tools' | 'prompts' | 'resources';

/**
 * Review everything a server listed: poison detectors on every definition, a tool that changed between
 * the two listings of this scan (critical), and every difference from `previous` lock (changed:
 * critical; new: high; removed: low). Pure.
 */
export function buildScanReport(
  defs: ServerDefinitions,
  command: readonly string[],
  previous: LockFile | undefined,
): ScanReport {
  const findings: Finding[] = [];
  const groups: [DefinitionKind, PinKey, Record<string, unknown>[]][] = [
    ['tool', 'tools', defs.tools],
    ['prompt', 'prompts', defs.prompts],
    ['resource', 'resources', defs.resources],
    ['resource-template', 'resources', defs.resourceTemplates],
  ];
  const lock: LockFile = { version: 1, command: [...command], tools: {}, prompts: {}, resources: {} };
  for (const [kind, key, list] of groups) {
    for (const definition of list) {
      findings.push(...reviewDefinition(kind, definition));
      lock[key][definitionName(definition, kind)] = { sha256: definitionHash(definition) };
    }
  }
  if (defs.instructions !== undefined) {
    for (const f of reviewDefinition('tool', {
      name: '(server instructions)',
      instructions: defs.instructions,
    })) {
      if (f.where !== 'name') findings.push(f);
    }
  }
  const again = new Map(defs.toolsAgain.map((tool) => [definitionName(tool), tool]));
  for (const [name, pin] of Object.entries(lock.tools)) {
    const second = again.get(name);
    if (second !== undefined && definitionHash(second) !== pin.sha256) {
      findings.push(
        changed(
          'tool',
          name,
          'definition-changed',
          'critical',
          'the definition changed between two listings in the same session (rug pull)',
          'second listing',
        ),
      );
      for (const f of reviewDefinition('tool', second))
        findings.push({ ...f, where: `second listing: ${f.where}` });
    }
  }
  let matchesLock: boolean | undefined;
  if (previous) {
    matchesLock = true;
    for (const key of ['tools', 'prompts', 'resources'] as const) {
      const kind: DefinitionKind = key === 'tools' ? 'tool' : key === 'prompts' ? 'prompt' : 'resource';
      for (const [name, pin] of Object.entries(lock[key])) {
        const old = previous[key][name];
        if (old === undefined) {
          matchesLock = false;
          findings.push(
            changed(
              kind,
              name,
              'not-in-lock',
              'high',
              'new since the lock file was written; approve with scan --update',
              LOCK_WHERE,
            ),
          );
        } else if (old.sha256 !== pin.sha256) {
          matchesLock = false;
          findings.push(
            changed(
              kind,
              name,
              'definition-changed',
              'critical',
              'differs from the lock file; approve with scan --update',
              LOCK_WHERE,
            ),
          );
        }
      }
      for (const name of Object.keys(previous[key])) {
        if (lock[key][name] === undefined) {
          matchesLock = false;
          findings.push(
            changed(kind, name, 'removed', 'low', 'in the lock file but no longer listed', LOCK_WHERE),
          );
        }
      }
    }
  }
  const rank = (f: Finding): number => -['low', 'medium', 'high', 'critical'].indexOf(f.severity);
  findings.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return {
    counts: {
      tools: defs.tools.length,
      prompts: defs.prompts.length,
      resources: defs.resources.length,
      resourceTemplates: defs.resourceTemplates.length,
    },
    findings,
    lock,
    matchesLock,
  };
}

/** Findings at or above `threshold`: what makes `scan` exit non-zero. */
export function failingFindings(report: ScanReport, threshold: Severity): Finding[] {
  return report.findings.filter((f) => atLeast(f.severity, threshold));
}

/** `where` of the findings that compare with the lock file (dropped once --update approves them). */
export const LOCK_WHERE = 'lock file';

function changed(
  kind: DefinitionKind,
  name: string,
  detector: string,
  severity: Severity,
  message: string,
  where: string,
): Finding {
  return { kind, name, detector, severity, message, where };
}
