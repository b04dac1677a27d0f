// What the launch mounts (issue 20 items 8, 12).
import type { AttackCase } from '../types.ts';

export const LAUNCH_CONTAINMENT_CASES: AttackCase[] = [];
