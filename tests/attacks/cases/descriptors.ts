// Inherited file descriptors (issue 20 item 2).
import type { AttackCase } from '../types.ts';

export const DESCRIPTOR_CASES: AttackCase[] = [];
