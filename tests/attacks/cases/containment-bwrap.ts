// bwrap-specific containment (issue 20 items 11, 13).
import type { AttackCase } from '../types.ts';

export const BWRAP_CONTAINMENT_CASES: AttackCase[] = [];
