// Setuid/setgid/sticky files planted in roots (issue 20 item 3).
import type { AttackCase } from '../types.ts';

export const SETUID_CASES: AttackCase[] = [];
