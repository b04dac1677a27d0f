import type { AuditEvent } from '../audit/events.ts';
import type { RuleId } from '../policy/types.ts';

/** One path a request named, as the policy anchors it: where it lands on the host and what directory that needs. */
export interface ObservedPath {
  /** Where the string sits in the request's params, e.g. `arguments.path`. */
  at: string;
  /** The host path it lands on (the kernel's resolution: symlinks followed, missing names kept). */
  real: string;
  /**
   * The directory the request needs: `real` itself when it is an existing directory, otherwise its
   * nearest existing ancestor (the file's folder, or where a new one is created).
   */
  dir: string;
}

/**
 * One client request as the policy decided it while learning: which method and tool, whether it was
 * forwarded, whether the policy treats the tool as writing, and every path in its params.
 */
export interface RequestObservation {
  event: 'learn.request';
  method: string;
  /** tools/call: the tool's name. Undefined: another method. */
  tool?: string;
  verdict: 'allow' | 'deny' | 'kill';
  /** Set unless the verdict is allow. */
  rule?: RuleId;
  reason?: string;
  /** The tool matches policy.tools.write: its paths must lie in read-write roots. */
  writes: boolean;
  paths: ObservedPath[];
}

/** Highest resource use seen while learning (sampled; see peak-sampler.ts). Absent fields were not observable. */
export interface PeakObservation {
  event: 'learn.peak';
  /** Resident memory of the sandbox's process tree, summed, in bytes. */
  memoryBytes?: number;
  /** Processes in the sandbox's process tree at once. */
  processes?: number;
  /** How the peaks were measured, for the report. */
  how: string;
}

/**
 * What learnProfile derives a profile from: the session's audit events (session.start, verdicts,
 * network.connection, sandbox.stop...) and the learner's own observations, in the order they happened.
 */
export type LearnEvent = AuditEvent | RequestObservation | PeakObservation | ConfigPathObservation;

/**
 * A path inside a root that the server's own configuration names (a command argument or an --env
 * value), not a request: e.g. server-memory's MEMORY_FILE_PATH. Whether the server wrote it is seen
 * by comparing the path before the launch and after the session (created, or size or mtime changed).
 */
export interface ConfigPathObservation {
  event: 'learn.config-path';
  /** `argument 2` or `env MEMORY_FILE_PATH`. */
  source: string;
  real: string;
  /** The directory it needs (see ObservedPath.dir). */
  dir: string;
  /** Created or changed during the session. */
  written: boolean;
}
