// Which backends the attack runner can use here, and why not (a missing backend is a visible column).
import { DOCKER_PROFILE, GVISOR_PROFILE, ISOLATE_PROFILE } from '../helpers/containers.ts';
import { BWRAP_AVAILABLE } from '../helpers/warden.ts';
import type { BackendName } from './types.ts';

export interface BackendAvailability {
  available: boolean;
  /** Why it cannot run here (empty when available). */
  reason: string;
}

const skipped = (status: string): string => status.replace(/^SKIPPED: /, '');

/** Availability of every backend the runner knows (seatbelt is macOS-only and has its own suite). */
export const AVAILABILITY: Record<BackendName, BackendAvailability> = {
  none: { available: true, reason: '' },
  bwrap: { available: BWRAP_AVAILABLE, reason: BWRAP_AVAILABLE ? '' : 'bwrap not on PATH' },
  docker: { available: DOCKER_PROFILE.enabled, reason: skipped(DOCKER_PROFILE.status) },
  gvisor: { available: GVISOR_PROFILE.enabled, reason: skipped(GVISOR_PROFILE.status) },
  isolate: { available: ISOLATE_PROFILE.enabled, reason: skipped(ISOLATE_PROFILE.status) },
};
