import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BWRAP_DEV_NODES, devicesOwnedBy } from '../../../../src/sandboxes/bwrap/private-devices.ts';

describe('devicesOwnedBy', () => {
  it('names the host nodes --dev would bind that the given uid owns, with their device numbers', () => {
    const owner = statSync('/dev/null').uid;
    const owned = devicesOwnedBy(owner);
    expect(owned).toContainEqual({ name: 'null', rdev: statSync('/dev/null').rdev });
    for (const node of owned) expect(BWRAP_DEV_NODES).toContain(node.name);
  });

  it('is empty for a uid that owns none (a non-root warden: the host’s nodes stay, no private copies)', () => {
    expect(devicesOwnedBy(4_000_000_123)).toEqual([]);
    expect(devicesOwnedBy(undefined)).toEqual([]);
  });

  it('leaves out missing nodes and anything not a character device', () => {
    // /tmp has no "null"; / is a directory owned by root.
    expect(devicesOwnedBy(statSync('/').uid, '/tmp/no-such-dev-dir')).toEqual([]);
    expect(devicesOwnedBy(statSync('/').uid, '/')).toEqual([]);
  });
});
