// isolate-specific containment (issue 20 items 4, 9, 10).
import type { AttackCase } from '../types.ts';

export const ISOLATE_CONTAINMENT_CASES: AttackCase[] = [];
