// The syscall tables are literals (the warden runs where no kernel headers are installed); here they
// are checked against the headers of this machine, when it has them, so a typo cannot slip through.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SYSCALL_NUMBERS } from '../../../../src/sandboxes/seccomp/syscall-numbers.ts';
import {
  DENIED_SYSCALLS,
  MODE_GUARDED_SYSCALLS,
  UNINSPECTABLE_SYSCALLS,
} from '../../../../src/sandboxes/seccomp/syscall-rules.ts';

const HEADERS = {
  x86_64: { file: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h', prefix: '__NR_' },
  aarch64: { file: '/usr/include/asm-generic/unistd.h', prefix: '__NR(?:3264)?_' },
} as const;

function readHeader(file: string, prefix: string): Map<string, number> {
  const table = new Map<string, number>();
  for (const m of readFileSync(file, 'utf8').matchAll(
    new RegExp(`#define\\s+${prefix}(\\w+)\\s+(\\d+)`, 'g'),
  ))
    table.set(m[1] as string, Number(m[2]));
  return table;
}

const ALL_NAMES = [
  ...DENIED_SYSCALLS,
  ...UNINSPECTABLE_SYSCALLS,
  ...MODE_GUARDED_SYSCALLS.map((g) => g.name),
];
// On aarch64 these exist only as their *at forms.
const LEGACY_ONLY_X86 = new Set(['open', 'creat', 'chmod', 'mkdir', 'mknod']);

describe.each(Object.entries(HEADERS))('%s syscall numbers', (arch, header) => {
  const numbers: Record<string, number> = SYSCALL_NUMBERS[arch as keyof typeof SYSCALL_NUMBERS];

  it('name every call the rules use (legacy calls only where the architecture has them)', () => {
    for (const name of ALL_NAMES) {
      if (arch === 'aarch64' && LEGACY_ONLY_X86.has(name)) expect(numbers[name], name).toBeUndefined();
      else expect(numbers[name], `${arch} ${name}`).toBeTypeOf('number');
    }
  });

  it.runIf(existsSync(header.file))(`match ${header.file}`, () => {
    const table = readHeader(header.file, header.prefix);
    for (const [name, nr] of Object.entries(numbers)) {
      // fchmodat2 (Linux 6.6) is newer than some headers; 452 on every architecture.
      if (!table.has(name)) expect([name, nr]).toEqual(['fchmodat2', 452]);
      else expect(nr, name).toBe(table.get(name));
    }
  });
});
