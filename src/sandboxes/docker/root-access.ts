import { statSync } from 'node:fs';
import type { ResolvedRoot } from '../../config/root.ts';

/** The stat fields the access check reads. */
export interface OwnerMode {
  uid: number;
  gid: number;
  mode: number;
}

/**
 * Pure: can `user` (no capabilities, no supplementary groups) list a root, and write to it when it is
 * rw? By the classic owner/group/other bits; ACLs are not considered.
 */
export function rootAccess(
  stat: OwnerMode,
  user: { uid: number; gid: number },
): { read: boolean; write: boolean } {
  const shift = stat.uid === user.uid ? 6 : stat.gid === user.gid ? 3 : 0;
  const bits = (stat.mode >> shift) & 0o7;
  return { read: (bits & 0o5) === 0o5, write: (bits & 0o3) === 0o3 };
}

/**
 * Warnings for roots the container user cannot use: the container runs as a non-root user, so a root
 * owned by another user (typically root, when the warden runs as root) may be unreadable or
 * read-only inside. Says how to fix it.
 */
export function rootAccessWarnings(
  roots: readonly ResolvedRoot[],
  user: { uid: number; gid: number },
): string[] {
  const warnings: string[] = [];
  for (const root of roots) {
    let stat: OwnerMode;
    try {
      stat = statSync(root.realPath);
    } catch {
      continue; // Reported by the launch itself.
    }
    const access = rootAccess(stat, user);
    const fix = `chown -R ${user.uid}:${user.gid} ${root.path} (or run the warden as the user who owns it)`;
    if (!access.read) {
      warnings.push(
        `--root ${root.path}: the sandbox user ${user.uid}:${user.gid} cannot read it (owner ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}); ${fix}`,
      );
    } else if (!root.readOnly && !access.write) {
      warnings.push(
        `--root ${root.path}: the sandbox user ${user.uid}:${user.gid} cannot write to it (owner ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}); ${fix}`,
      );
    }
  }
  return warnings;
}
