// A minimal classic-BPF assembler for seccomp programs: instructions with symbolic jump targets,
// resolved to the 8-bit relative offsets the kernel wants. Only what bpf-program.ts needs.
import { WardenError } from '../../errors.ts';

/** Opcodes (linux/bpf_common.h): class | size | mode / op | source. */
export const BPF = {
  LD_W_ABS: 0x20, // BPF_LD | BPF_W | BPF_ABS: A = seccomp_data[k] (32 bits)
  JEQ_K: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
  JSET_K: 0x45, // BPF_JMP | BPF_JSET | BPF_K
  RET_K: 0x06, // BPF_RET | BPF_K
} as const;

/** A jump target: a label defined somewhere after the jump, or a plain offset (0 = next instruction). */
export type Target = string | number;

export type Line =
  | { op: 'label'; name: string }
  | { op: 'ld'; offset: number }
  | { op: 'jeq' | 'jset'; k: number; jt: Target; jf: Target }
  | { op: 'ret'; k: number };

/** One assembled instruction, struct sock_filter. */
export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/**
 * Resolve labels and return the instructions. Throws when a jump goes backwards or further than the
 * 255 instructions an 8-bit offset can skip (the caller must then reorder), or names an unknown label.
 */
export function assemble(lines: readonly Line[]): Instruction[] {
  const labels = new Map<string, number>();
  let index = 0;
  for (const line of lines) {
    if (line.op === 'label') {
      if (labels.has(line.name)) throw new WardenError('internal', `BPF label ${line.name} defined twice`);
      labels.set(line.name, index);
    } else index += 1;
  }
  const out: Instruction[] = [];
  const offset = (target: Target, at: number): number => {
    const to = typeof target === 'number' ? at + 1 + target : labels.get(target);
    if (to === undefined) throw new WardenError('internal', `BPF label ${String(target)} is not defined`);
    const delta = to - (at + 1);
    if (delta < 0 || delta > 255)
      throw new WardenError('internal', `BPF jump to ${String(target)} out of range (${delta})`);
    return delta;
  };
  for (const line of lines) {
    const at = out.length;
    switch (line.op) {
      case 'label':
        break;
      case 'ld':
        out.push({ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: line.offset });
        break;
      case 'jeq':
      case 'jset':
        out.push({
          code: line.op === 'jeq' ? BPF.JEQ_K : BPF.JSET_K,
          jt: offset(line.jt, at),
          jf: offset(line.jf, at),
          k: line.k >>> 0,
        });
        break;
      case 'ret':
        out.push({ code: BPF.RET_K, jt: 0, jf: 0, k: line.k >>> 0 });
        break;
    }
  }
  return out;
}

/**
 * struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; } in little-endian order: the byte order of every
 * architecture the filter supports (x86_64, and aarch64 whose AUDIT_ARCH value is little-endian only).
 */
export function encode(program: readonly Instruction[]): Buffer {
  const buffer = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    buffer.writeUInt16LE(ins.code, i * 8);
    buffer.writeUInt8(ins.jt, i * 8 + 2);
    buffer.writeUInt8(ins.jf, i * 8 + 3);
    buffer.writeUInt32LE(ins.k, i * 8 + 4);
  });
  return buffer;
}

/** The inverse of encode (for tests and `explain`). */
export function decode(buffer: Buffer): Instruction[] {
  const out: Instruction[] = [];
  for (let at = 0; at + 8 <= buffer.length; at += 8) {
    out.push({
      code: buffer.readUInt16LE(at),
      jt: buffer.readUInt8(at + 2),
      jf: buffer.readUInt8(at + 3),
      k: buffer.readUInt32LE(at + 4),
    });
  }
  return out;
}
