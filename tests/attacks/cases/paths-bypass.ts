// Policy-layer path bypasses found by the red team (issue 20 item 7).
import type { AttackCase } from '../types.ts';

export const PATH_BYPASS_CASES: AttackCase[] = [];
