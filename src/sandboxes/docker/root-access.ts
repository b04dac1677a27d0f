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
 * The owners of the rw roots, in --root order (roots that cannot be stat'ed are left out: the launch
 * reports them). Input of containerUser.
 */
export function rwRootOwners(roots: readonly ResolvedRoot[]): Array<{ uid: number; gid: number }> {
  const owners: Array<{ uid: number; gid: number }> = [];
  for (const root of roots) {
    if (root.readOnly) continue;
    try {
      const { uid, gid } = statSync(root.realPath);
      owners.push({ uid, gid });
    } catch {
      // Reported by the launch itself.
    }
  }
  return owners;
}

/**
 * Warnings for roots the container user cannot use: it is never root, so a root owned by another user
 * (root itself, when the warden runs as root) may be unreadable or read-only inside. The fix never
 * changes who owns the user's files: run the warden as the user who owns them, or use the root
 * read-only, or the bwrap backend (which maps the sandbox user to the warden's own uid).
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
    const facts = `owner ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}`;
    const asOwner =
      stat.uid === 0
        ? 'a container never runs as root'
        : `run the warden as uid ${stat.uid}, the user who owns it`;
    if (!access.read) {
      warnings.push(
        `--root ${root.path}: the sandbox user ${user.uid}:${user.gid} cannot read it (${facts}); ${asOwner}, or use --profile bwrap`,
      );
    } else if (!root.readOnly && !access.write) {
      warnings.push(
        `--root ${root.path}: the sandbox user ${user.uid}:${user.gid} cannot write to it (${facts}); ${asOwner}; give it as ${root.path}:ro, or use --profile bwrap`,
      );
    }
  }
  return warnings;
}
