import { describe, expect, it } from 'vitest';
import { rootAccess } from '../../../../src/sandboxes/docker/root-access.ts';

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
