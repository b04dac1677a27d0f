import { toGuestError } from './host-fs.ts';
import type { HostOp } from './host-ops.ts';

/**
 * Copies of `value` safe to hand to the guest: typed arrays become fresh, exactly sized Uint8Arrays, so
 * that a view into a pooled host buffer can never carry the rest of the pool across.
 */
export function guestCopy(value: unknown): unknown {
  if (value === undefined) return null;
  if (ArrayBuffer.isView(value))
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
  if (Array.isArray(value)) return value.map(guestCopy);
  return value;
}

/**
 * The single host function the guest may call: runs `ops[op]` on copied arguments and answers with a
 * copied envelope. Errors never cross as host objects, only as {message, code, errno, syscall, path}.
 */
export function createHostCall(ops: Record<string, HostOp>) {
  return (op: unknown, ...args: unknown[]): unknown => {
    const fn = typeof op === 'string' && Object.hasOwn(ops, op) ? ops[op] : undefined;
    if (fn === undefined)
      return { ok: false, error: { message: `mcp-warden: unknown host operation ${String(op)}` } };
    try {
      return { ok: true, value: guestCopy(fn(...args)) };
    } catch (error) {
      return { ok: false, error: toGuestError(error) };
    }
  };
}
