// Renders syscall-rules.ts as a classic-BPF seccomp program (what `bwrap --seccomp FD` loads). Pure:
// rules in, bytes out; tests/unit/sandboxes/seccomp interprets the result for allowed and denied calls.
import { WardenError } from '../../errors.ts';
import { type Line, assemble, encode } from './bpf-assembler.ts';
import { SYSCALL_NUMBERS } from './syscall-numbers.ts';
import {
  CREATE_FLAGS,
  DENIED_SYSCALLS,
  DENY_ERRNO,
  FORBIDDEN_MODE_BITS,
  MODE_GUARDED_SYSCALLS,
  type ModeGuard,
  UNINSPECTABLE_ERRNO,
  UNINSPECTABLE_SYSCALLS,
} from './syscall-rules.ts';

/** An architecture the filter knows the syscall numbers of. */
export type SeccompArch = keyof typeof SYSCALL_NUMBERS;

/** seccomp_data.arch values (linux/audit.h): EM_* | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
export const AUDIT_ARCH: Record<SeccompArch, number> = { x86_64: 0xc000003e, aarch64: 0xc00000b7 };
/** On x86_64, x32-ABI calls carry this bit in their number (and run through a different table). */
export const X32_SYSCALL_BIT = 0x40000000;

/** Filter return values (linux/seccomp.h); ERRNO's low 16 bits are the errno. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  ERRNO: 0x00050000,
  ALLOW: 0x7fff0000,
} as const;

/** Offsets in struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; }. */
const NR_OFFSET = 0;
const ARCH_OFFSET = 4;
/** The low 32-bit word of args[i] (little-endian): modes and open flags are 32-bit in the kernel. */
const argLow = (i: number): number => 16 + 8 * i;

/** The data a program is rendered from; the default is the one list every Linux sandbox applies. */
export interface SeccompRules {
  denied: readonly string[];
  denyErrno: number;
  uninspectable: readonly string[];
  uninspectableErrno: number;
  modeGuarded: readonly ModeGuard[];
  forbiddenModeBits: number;
  createFlags: number;
}

export const SANDBOX_SECCOMP_RULES: SeccompRules = {
  denied: DENIED_SYSCALLS,
  denyErrno: DENY_ERRNO,
  uninspectable: UNINSPECTABLE_SYSCALLS,
  uninspectableErrno: UNINSPECTABLE_ERRNO,
  modeGuarded: MODE_GUARDED_SYSCALLS,
  forbiddenModeBits: FORBIDDEN_MODE_BITS,
  createFlags: CREATE_FLAGS,
};

/** The seccomp architecture of a Node `process.arch`; undefined when the filter does not support it. */
export function seccompArch(nodeArch: string): SeccompArch | undefined {
  return nodeArch === 'x64' ? 'x86_64' : nodeArch === 'arm64' ? 'aarch64' : undefined;
}

/**
 * Pure: the program for `arch`, as struct sock_filter[] bytes. Layout:
 * 1. a call made through any other ABI (i386 `int 0x80` or x32 on x86_64, arm32 compat on aarch64) kills
 *    the process: the numbers below would mean other calls there, and no server runtime makes such calls,
 *    so one is an attempt to slip past the filter (a quiet ENOSYS would let it probe; a kill is visible);
 * 2. `denied` → ERRNO(denyErrno); `uninspectable` → ERRNO(uninspectableErrno);
 * 3. each mode-guarded call → ERRNO(denyErrno) when its mode argument has a forbidden bit (for open and
 *    openat only with O_CREAT or O_TMPFILE in its flags: otherwise the mode is unused and may be garbage);
 * 4. everything else is allowed.
 * A call the architecture lacks (chmod on aarch64) is skipped; a name no architecture knows throws.
 */
export function renderSeccompProgram(arch: SeccompArch, rules: SeccompRules = SANDBOX_SECCOMP_RULES): Buffer {
  const numbers: Readonly<Record<string, number>> = SYSCALL_NUMBERS[arch];
  const seen = new Set<number>();
  const numberOf = (name: string): number | undefined => {
    const known = Object.values(SYSCALL_NUMBERS).some((table: Readonly<Record<string, number>>) =>
      Object.hasOwn(table, name),
    );
    if (!known) throw new WardenError('internal', `seccomp rule names an unknown system call: ${name}`);
    const nr = numbers[name];
    // The first rule naming a call decides it; a later duplicate would be dead code.
    if (nr === undefined || seen.has(nr)) return undefined;
    seen.add(nr);
    return nr;
  };
  const errno = (value: number): number => SECCOMP_RET.ERRNO | (value & 0xffff);

  const lines: Line[] = [
    { op: 'ld', offset: ARCH_OFFSET },
    { op: 'jeq', k: AUDIT_ARCH[arch], jt: 1, jf: 0 },
    { op: 'ret', k: SECCOMP_RET.KILL_PROCESS },
    { op: 'ld', offset: NR_OFFSET },
  ];
  if (arch === 'x86_64') {
    lines.push({ op: 'jset', k: X32_SYSCALL_BIT, jt: 0, jf: 1 }, { op: 'ret', k: SECCOMP_RET.KILL_PROCESS });
  }
  for (const name of rules.denied) {
    const nr = numberOf(name);
    if (nr !== undefined) lines.push({ op: 'jeq', k: nr, jt: 'deny', jf: 0 });
  }
  for (const name of rules.uninspectable) {
    const nr = numberOf(name);
    if (nr !== undefined) lines.push({ op: 'jeq', k: nr, jt: 'uninspectable', jf: 0 });
  }
  const guards: Line[] = [];
  for (const guard of rules.modeGuarded) {
    const nr = numberOf(guard.name);
    if (nr === undefined) continue;
    const label = `guard-${guard.name}`;
    lines.push({ op: 'jeq', k: nr, jt: label, jf: 0 });
    guards.push({ op: 'label', name: label });
    if (guard.flagsArg !== undefined) {
      guards.push(
        { op: 'ld', offset: argLow(guard.flagsArg) },
        { op: 'jset', k: rules.createFlags, jt: 0, jf: 'allow' },
      );
    }
    guards.push(
      { op: 'ld', offset: argLow(guard.modeArg) },
      { op: 'jset', k: rules.forbiddenModeBits, jt: 'deny', jf: 'allow' },
    );
  }
  lines.push(
    { op: 'ret', k: SECCOMP_RET.ALLOW },
    ...guards,
    { op: 'label', name: 'deny' },
    { op: 'ret', k: errno(rules.denyErrno) },
    { op: 'label', name: 'uninspectable' },
    { op: 'ret', k: errno(rules.uninspectableErrno) },
    { op: 'label', name: 'allow' },
    { op: 'ret', k: SECCOMP_RET.ALLOW },
  );
  return encode(assemble(lines));
}
