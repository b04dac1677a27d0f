// The isolate backend's host-side bundle step (issue 20 item 1).
import type { AttackCase } from '../types.ts';

export const BUNDLING_CASES: AttackCase[] = [];
