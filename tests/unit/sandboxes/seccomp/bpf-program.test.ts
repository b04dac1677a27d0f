// The seccomp program is interpreted here instruction by instruction (a classic-BPF interpreter of
// the opcodes seccomp allows for loads, jumps and returns), for calls that must pass and calls that
// must not; tests/attacks (keyrings, setuid) run the same program for real under bwrap.
import { describe, expect, it } from 'vitest';
import { decode } from '../../../../src/sandboxes/seccomp/bpf-assembler.ts';
import {
  AUDIT_ARCH,
  SANDBOX_SECCOMP_RULES,
  SECCOMP_RET,
  type SeccompArch,
  X32_SYSCALL_BIT,
  renderSeccompProgram,
  seccompArch,
} from '../../../../src/sandboxes/seccomp/bpf-program.ts';
import { SYSCALL_NUMBERS } from '../../../../src/sandboxes/seccomp/syscall-numbers.ts';
import { DENIED_SYSCALLS, MODE_GUARDED_SYSCALLS } from '../../../../src/sandboxes/seccomp/syscall-rules.ts';

interface Call {
  nr: number;
  arch?: number;
  /** 64-bit argument values. */
  args?: readonly bigint[];
}

/** struct seccomp_data, little-endian. */
function seccompData(call: Call, arch: SeccompArch): Buffer {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(call.nr >>> 0, 0);
  data.writeUInt32LE((call.arch ?? AUDIT_ARCH[arch]) >>> 0, 4);
  data.writeBigUInt64LE(0x7fff_1234_5678n, 8);
  (call.args ?? []).forEach((value, i) => data.writeBigUInt64LE(BigInt.asUintN(64, value), 16 + 8 * i));
  return data;
}

/** Run `program` on `data` like the kernel's seccomp BPF interpreter; returns the filter's verdict. */
function run(program: Buffer, data: Buffer): number {
  const ins = decode(program);
  let a = 0;
  for (let pc = 0, steps = 0; pc < ins.length; pc++, steps++) {
    if (steps > 4096) throw new Error('loop');
    const { code, jt, jf, k } = ins[pc] as { code: number; jt: number; jf: number; k: number };
    switch (code) {
      case 0x20: // ld [k]
        if (k % 4 !== 0 || k + 4 > 64) throw new Error(`bad load offset ${k}`);
        a = data.readUInt32LE(k);
        break;
      case 0x05: // ja
        pc += k;
        break;
      case 0x15: // jeq #k
        pc += a === k ? jt : jf;
        break;
      case 0x25: // jgt #k
        pc += a > k ? jt : jf;
        break;
      case 0x35: // jge #k
        pc += a >= k ? jt : jf;
        break;
      case 0x45: // jset #k
        pc += (a & k) >>> 0 !== 0 ? jt : jf;
        break;
      case 0x06: // ret #k
        return k;
      default:
        throw new Error(`opcode ${code.toString(16)} at ${pc} is not interpreted`);
    }
  }
  throw new Error('fell off the end of the program');
}

const EPERM = SECCOMP_RET.ERRNO | 1;
const ENOSYS = SECCOMP_RET.ERRNO | 38;
const O_CREAT = 0o100n;
const O_WRONLY = 1n;
const O_TMPFILE = 0o20200000n;

describe.each(['x86_64', 'aarch64'] as const)('the seccomp program for %s', (arch) => {
  const program = renderSeccompProgram(arch);
  const numbers: Record<string, number> = SYSCALL_NUMBERS[arch];
  const nr = (name: string): number => {
    const value = numbers[name];
    if (value === undefined) throw new Error(`${arch} has no ${name}`);
    return value;
  };
  const verdict = (call: Call): number => run(program, seccompData(call, arch));
  const guardedOn = MODE_GUARDED_SYSCALLS.filter((g) => numbers[g.name] !== undefined);
  const call = (name: string, args: Record<number, bigint>): Call => {
    const list: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];
    for (const [i, v] of Object.entries(args)) list[Number(i)] = v;
    return { nr: nr(name), args: list };
  };

  it('is a whole number of instructions, well under the kernel limit of 4096', () => {
    expect(program.length % 8).toBe(0);
    expect(program.length / 8).toBeLessThan(512);
  });

  it('answers EPERM to every denied call the architecture has, whatever the arguments', () => {
    for (const name of DENIED_SYSCALLS) {
      if (numbers[name] === undefined) continue;
      expect(verdict({ nr: nr(name) }), name).toBe(EPERM);
      expect(verdict(call(name, { 0: -1n, 1: 0o7777n, 2: O_CREAT })), name).toBe(EPERM);
    }
    for (const name of [
      'keyctl',
      'add_key',
      'request_key',
      'bpf',
      'perf_event_open',
      'ptrace',
      'userfaultfd',
    ])
      expect(verdict({ nr: nr(name) }), name).toBe(EPERM);
    expect(verdict({ nr: nr('io_uring_setup') })).toBe(EPERM);
  });

  it('answers ENOSYS to openat2 (its mode is behind a pointer), so libc falls back to openat', () => {
    expect(verdict({ nr: nr('openat2') })).toBe(ENOSYS);
  });

  it('allows ordinary calls (read, write, execve, clone, mmap...)', () => {
    const ordinary =
      arch === 'x86_64'
        ? { read: 0, write: 1, close: 3, mmap: 9, clone: 56, execve: 59, exit_group: 231, getrandom: 318 }
        : {
            read: 63,
            write: 64,
            close: 57,
            mmap: 222,
            clone: 220,
            execve: 221,
            exit_group: 94,
            getrandom: 278,
          };
    for (const [name, value] of Object.entries(ordinary))
      expect(verdict({ nr: value, args: [0n, 0o7777n, 0o7777n, 0o7777n] }), name).toBe(SECCOMP_RET.ALLOW);
    // A number far above every table, and the "no call" number tracers use.
    expect(verdict({ nr: 1000 })).toBe(SECCOMP_RET.ALLOW);
  });

  it('refuses setuid, setgid and sticky modes on every mode-setting call, allows plain modes', () => {
    expect(guardedOn.length).toBeGreaterThanOrEqual(arch === 'x86_64' ? 11 : 6);
    for (const g of guardedOn) {
      const flags = g.flagsArg === undefined ? {} : { [g.flagsArg]: O_CREAT | O_WRONLY };
      for (const mode of [0o4755n, 0o2755n, 0o6755n, 0o1777n, 0o7000n, 0o104755n, 0o40000n | 0o2777n])
        expect(verdict(call(g.name, { ...flags, [g.modeArg]: mode })), `${g.name} ${mode.toString(8)}`).toBe(
          EPERM,
        );
      for (const mode of [0n, 0o644n, 0o755n, 0o777n, 0o100644n, 0o10644n])
        expect(verdict(call(g.name, { ...flags, [g.modeArg]: mode })), `${g.name} ${mode.toString(8)}`).toBe(
          SECCOMP_RET.ALLOW,
        );
      // Only the low 32 bits are the mode (the kernel truncates to umode_t): high bits alone are harmless,
      // and a forbidden bit in the low word is refused whatever the high word holds.
      expect(verdict(call(g.name, { ...flags, [g.modeArg]: 0x7000_0000_0000_01edn }))).toBe(
        SECCOMP_RET.ALLOW,
      );
      expect(verdict(call(g.name, { ...flags, [g.modeArg]: 0xffff_ffff_0000_09edn }))).toBe(EPERM);
    }
  });

  it('looks at the mode of open/openat only when O_CREAT or O_TMPFILE is set', () => {
    for (const g of guardedOn.filter((x) => x.flagsArg !== undefined)) {
      const flagsArg = g.flagsArg as number;
      // Without a create flag the mode argument is unused (often stack garbage): allowed.
      for (const flags of [0n, O_WRONLY, 0o2000000n /* O_CLOEXEC */, 0o1000n /* O_TRUNC */])
        expect(verdict(call(g.name, { [flagsArg]: flags, [g.modeArg]: 0o7777n }))).toBe(SECCOMP_RET.ALLOW);
      expect(verdict(call(g.name, { [flagsArg]: O_CREAT, [g.modeArg]: 0o4777n }))).toBe(EPERM);
      expect(verdict(call(g.name, { [flagsArg]: O_TMPFILE | 2n, [g.modeArg]: 0o2755n }))).toBe(EPERM);
      expect(verdict(call(g.name, { [flagsArg]: O_CREAT, [g.modeArg]: 0o666n }))).toBe(SECCOMP_RET.ALLOW);
    }
    if (arch === 'x86_64')
      expect(guardedOn.map((g) => g.name)).toEqual(expect.arrayContaining(['open', 'openat']));
    else expect(guardedOn.map((g) => g.name)).toContain('openat');
  });

  it('kills the process for a call made through another ABI', () => {
    const foreign = [0x40000003 /* i386 */, 0x40000028 /* arm */, 0x4000003e /* x86_64 as 32-bit */];
    const other = AUDIT_ARCH[arch === 'x86_64' ? 'aarch64' : 'x86_64'];
    for (const value of [...foreign, other]) {
      // Even an allowed number and a denied one: nothing passes.
      expect(verdict({ nr: 0, arch: value })).toBe(SECCOMP_RET.KILL_PROCESS);
      expect(verdict({ nr: nr('keyctl'), arch: value })).toBe(SECCOMP_RET.KILL_PROCESS);
    }
  });

  it.runIf(arch === 'x86_64')('kills the process for an x32 call (the x32 bit in the number)', () => {
    expect(verdict({ nr: X32_SYSCALL_BIT | 0 })).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(verdict({ nr: X32_SYSCALL_BIT | nr('keyctl') })).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(verdict({ nr: X32_SYSCALL_BIT | nr('chmod'), args: [0n, 0o4755n] })).toBe(
      SECCOMP_RET.KILL_PROCESS,
    );
  });
});

describe('renderSeccompProgram', () => {
  it('is deterministic (a pure function of the rules)', () => {
    expect(renderSeccompProgram('x86_64').equals(renderSeccompProgram('x86_64'))).toBe(true);
  });

  it('refuses a rule naming a call no architecture knows (a typo must not pass silently)', () => {
    expect(() =>
      renderSeccompProgram('x86_64', { ...SANDBOX_SECCOMP_RULES, denied: ['keyctl', 'kyectl'] }),
    ).toThrow(/unknown system call: kyectl/);
  });

  it('maps Node architectures to seccomp ones; others have no filter', () => {
    expect(seccompArch('x64')).toBe('x86_64');
    expect(seccompArch('arm64')).toBe('aarch64');
    expect(seccompArch('ia32')).toBeUndefined();
    expect(seccompArch('riscv64')).toBeUndefined();
  });
});
