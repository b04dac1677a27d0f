import type { Profile } from '../config/profile-schema.ts';
import type { PeakObservation } from './observations.ts';
import type { ReportEntry } from './learn-profile.ts';

const MiB = 1024 * 1024;

/** The margin over observed peaks (stated in the report and docs/least-privilege.md). */
export const LIMIT_MARGIN = {
  /** memoryMb: peak resident memory × 2, rounded up to 32 MiB, at least 128 MiB. */
  memoryFactor: 2,
  memoryStepMb: 32,
  memoryMinMb: 128,
  /** pids: peak threads × 2, at least 32 (the pids limit counts threads, and Node starts about ten). */
  pidsFactor: 2,
  pidsMin: 32,
} as const;

/** Which of the learnable limits the learned profile's backend enforces (others would only warn at every run). */
export interface EnforcedLimits {
  memoryMb: boolean;
  pids: boolean;
}

/**
 * Pure: the learned profile's `limits`: the base profile's, with memoryMb and pids set from the
 * observed peaks plus LIMIT_MARGIN, never above a limit the base profile already set (it held).
 * A limit the backend does not enforce is not written (it would only warn at every run): the note
 * gives the value for a backend that does. Without peaks (not observable on this backend) the base
 * limits are kept and a note says so.
 */
export function learnedLimits(
  base: Profile['limits'],
  peak: PeakObservation | undefined,
  enforced: EnforcedLimits,
  granted: ReportEntry[],
  notes: string[],
): Profile['limits'] {
  const limits: Profile['limits'] = { ...base };
  const grant = (entry: ReportEntry, key: 'memoryMb' | 'pids', value: number): void => {
    if (enforced[key]) {
      limits[key] = value;
      granted.push(entry);
    } else {
      notes.push(
        `limits.${key}: ${value} would fit (${entry.because.join('; ')}), but this backend does not enforce it; set it when enforcing under one that does (docker, gvisor)`,
      );
    }
  };
  if (peak?.memoryBytes !== undefined && peak.memoryBytes > 0) {
    const m = LIMIT_MARGIN;
    const wanted = Math.max(
      m.memoryMinMb,
      Math.ceil((peak.memoryBytes * m.memoryFactor) / MiB / m.memoryStepMb) * m.memoryStepMb,
    );
    const value = base.memoryMb === undefined ? wanted : Math.min(base.memoryMb, wanted);
    grant(
      {
        setting: 'limits.memoryMb',
        value: String(value),
        because: [
          `peak resident memory ${(peak.memoryBytes / MiB).toFixed(1)} MiB (${peak.how}); margin: ×${m.memoryFactor}, rounded up to ${m.memoryStepMb} MiB, at least ${m.memoryMinMb}${base.memoryMb === undefined ? '' : `, at most the base profile's ${base.memoryMb}`}`,
        ],
      },
      'memoryMb',
      value,
    );
  }
  if (peak?.processes !== undefined && peak.processes > 0) {
    const m = LIMIT_MARGIN;
    const wanted = Math.max(m.pidsMin, peak.processes * m.pidsFactor);
    const value = base.pids === undefined ? wanted : Math.min(base.pids, wanted);
    grant(
      {
        setting: 'limits.pids',
        value: String(value),
        because: [
          `peak ${peak.processes} threads in the sandbox's processes (${peak.how}); margin: ×${m.pidsFactor}, at least ${m.pidsMin}${base.pids === undefined ? '' : `, at most the base profile's ${base.pids}`}`,
        ],
      },
      'pids',
      value,
    );
  }
  if (peak === undefined || (peak.memoryBytes === undefined && peak.processes === undefined)) {
    notes.push(
      `limits: not learned (${peak?.how ?? 'no resource peaks were observed'}); the base profile's limits are kept`,
    );
  }
  return limits;
}
