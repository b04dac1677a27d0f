// Guards that a crafted message could make slow (issue 20 item 6).
import type { AttackCase } from '../types.ts';

export const REDOS_CASES: AttackCase[] = [];
