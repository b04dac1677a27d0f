/** setuid, setgid and sticky: the bits a file made by the warden (often root) must never carry. */
export const SPECIAL_MODE_BITS = 0o7000;

/**
 * The permission bits of a guest's `mode` argument (undefined/null: `fallback`). Throws EPERM when it
 * asks for setuid, setgid or sticky: the host side runs with the warden's rights, so such a file in a
 * rw root would be, say, a setuid-root binary any local user could run (issue 20 item 3). EINVAL for
 * anything that is not a mode.
 */
export function safeMode(mode: unknown, syscall: string, target: string, fallback: number): number {
  if (mode === undefined || mode === null) return fallback;
  const value = typeof mode === 'string' ? Number.parseInt(mode, 8) : mode;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0o7777) {
    throw Object.assign(new Error(`EINVAL: invalid mode ${String(mode)}, ${syscall} '${target}'`), {
      code: 'EINVAL',
      errno: -22,
      syscall,
      path: target,
    });
  }
  if ((value & SPECIAL_MODE_BITS) !== 0) {
    throw Object.assign(
      new Error(
        `EPERM: mcp-warden refuses setuid, setgid and sticky bits (mode ${value.toString(8)}) under the isolate sandbox, ${syscall} '${target}'`,
      ),
      { code: 'EPERM', errno: -1, syscall, path: target },
    );
  }
  return value;
}
