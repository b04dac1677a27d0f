// Whether the isolate backend works here (isolated-vm loads), for describe.runIf.
import { getBackend } from '../../../src/sandboxes/registry.ts';

const availability = await getBackend('isolate').probe();

export const ISOLATE_PROFILE = {
  profile: 'isolate' as const,
  enabled: availability.available,
  status: availability.available ? 'isolate backend available' : `SKIPPED: ${availability.reason}`,
};
