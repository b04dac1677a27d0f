// Kernel keyrings and the syscalls the seccomp filter denies (issue 20 item 5).
import type { AttackCase } from '../types.ts';

export const KEYRING_CASES: AttackCase[] = [];
