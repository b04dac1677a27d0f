// docker/gvisor containment (issue 20 item 15).
import type { AttackCase } from '../types.ts';

export const CONTAINER_CONTAINMENT_CASES: AttackCase[] = [];
