import { chmodSync, chownSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedRoot } from '../../../../src/config/root.ts';
import {
  rootAccess,
  rootAccessWarnings,
  rwRootOwners,
} from '../../../../src/sandboxes/docker/root-access.ts';

const nobody = { uid: 65534, gid: 65534 };

describe('rootAccess', () => {
  it('uses owner, group or other bits, like the kernel for a user without capabilities', () => {
    expect(rootAccess({ uid: 0, gid: 0, mode: 0o40700 }, nobody)).toEqual({ read: false, write: false });
    expect(rootAccess({ uid: 0, gid: 0, mode: 0o40755 }, nobody)).toEqual({ read: true, write: false });
    expect(rootAccess({ uid: 0, gid: 0, mode: 0o40777 }, nobody)).toEqual({ read: true, write: true });
    expect(rootAccess({ uid: 65534, gid: 0, mode: 0o40700 }, nobody)).toEqual({ read: true, write: true });
    expect(rootAccess({ uid: 0, gid: 65534, mode: 0o40770 }, nobody)).toEqual({ read: true, write: true });
    // Owner bits apply to the owner even when "other" would allow more.
    expect(rootAccess({ uid: 65534, gid: 0, mode: 0o40077 }, nobody)).toEqual({ read: false, write: false });
  });
});

const asRoot = process.getuid?.() === 0;

function root(owner: number, mode: number, readOnly = false): ResolvedRoot {
  const dir = mkdtempSync(path.join(tmpdir(), 'root-access-'));
  chmodSync(dir, mode);
  if (asRoot) chownSync(dir, owner, owner);
  return { path: dir, realPath: dir, readOnly } as ResolvedRoot;
}

describe.runIf(asRoot)('rootAccessWarnings and rwRootOwners (as root)', () => {
  it("never advise chown of the user's files; say who owns the root and what else works", () => {
    const mine = root(0, 0o755);
    const theirs = root(2000, 0o700);
    const warnings = rootAccessWarnings([mine, theirs], { uid: 1000, gid: 1000 });
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).not.toMatch(/chown/);
    expect(warnings[0]).toMatch(/cannot write to it \(owner 0, mode 755\); a container never runs as root/);
    expect(warnings[0]).toContain(`${mine.path}:ro`);
    expect(warnings[1]).toMatch(/cannot read it \(owner 2000, mode 700\); run the warden as uid 2000/);
  });

  it('lists the owners of the rw roots only, in order', () => {
    expect(rwRootOwners([root(3000, 0o700, true), root(1000, 0o700), root(2000, 0o700)])).toEqual([
      { uid: 1000, gid: 1000 },
      { uid: 2000, gid: 2000 },
    ]);
  });
});
